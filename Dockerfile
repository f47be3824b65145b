FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY pyproject.toml README.md ./
COPY api ./api
COPY models ./models
COPY workers ./workers
COPY domain ./domain
COPY crm ./crm
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 crm
USER crm

EXPOSE 8000
CMD ["crm", "serve", "--host", "0.0.0.0", "--port", "8000"]
