# One command to run the CRM, one to test it. Both create the virtualenv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint format schema migrations bench bench-imports bench-pool install clean

$(BIN)/crm: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/crm

install: $(BIN)/crm

## make run: SQLite + embedded Redis, migrations applied, API + one worker, GraphiQL URL printed
run: install
	PORT=$(PORT) $(BIN)/crm dev

## make test: the whole suite (SQLite + embedded Redis unless TEST_DATABASE_URL / TEST_REDIS_URL)
test: install
	$(BIN)/pytest

## make lint: ruff, then mypy over the production packages (settings in pyproject.toml)
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make schema: regenerate schema.graphql from the code
schema: install
	$(BIN)/crm export-schema

## make migrations: write a migration for model changes (commit it)
migrations: install
	DATABASE_URL=sqlite:///tmp/crm-makemigrations.sqlite3 $(BIN)/tortoise -c crm.db.TORTOISE_ORM makemigrations

bench: install
	$(BIN)/python -m bench.nested_read

## make bench-imports: customer imports (100k and 200k rows) beside PostgreSQL COPY, with the
## worker's peak memory; BENCH_DATABASE_URL names the server (it makes its own database)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
bench-imports: install
	BENCH_DATABASE_URL='$(BENCH_DATABASE_URL)' $(BIN)/python -m bench.import_customers --rows 100000 200000

## make bench-pool: the pool's nightly job over 100,000 customers beside one SQL UPDATE doing
## the same returns (PostgreSQL at BENCH_DATABASE_URL; it makes its own database)
bench-pool: install
	BENCH_DATABASE_URL='$(BENCH_DATABASE_URL)' $(BIN)/python -m bench.pool_job --customers 100000

clean:
	rm -rf $(VENV) crm.sqlite3* crm-redis.db* .pytest_cache
