# CPython 3.11 on Linux x86_64 (Debian bookworm): what requirements*.lock are resolved for.
FROM --platform=linux/amd64 python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/rongtuk
# The runtime dependencies exactly as locked (the same versions the tests ran on), before the
# code, so this layer is rebuilt only when the lock changes.
COPY requirements-runtime.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements-runtime.lock
COPY pyproject.toml README.md alembic.ini ./
COPY app app
COPY handlers handlers
COPY models models
COPY alembic alembic
# Editable: migrations are read from ./alembic beside the code.
RUN pip install --no-cache-dir --no-deps -e .
RUN useradd --system --home /srv/rongtuk rongtuk && mkdir -p var && chown rongtuk var
USER rongtuk
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["rongtuk", "serve", "--host", "0.0.0.0", "--port", "8000"]
