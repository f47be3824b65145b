FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The dependencies, in a layer of their own: built from pyproject.toml alone, so a change to
# the code reuses it and only a change to the dependencies installs them again.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The code, then the project itself on top of the installed dependencies.
COPY README.md ./
COPY api ./api
COPY models ./models
COPY workers ./workers
COPY domain ./domain
COPY crm ./crm
COPY cli ./cli
RUN pip install --no-cache-dir --no-deps . \
    && useradd --create-home --uid 10001 crm
USER crm

EXPOSE 8000
CMD ["crm", "serve", "--host", "0.0.0.0", "--port", "8000"]
