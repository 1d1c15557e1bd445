# LeadIntake service image: slim Python, non-root, data in /data, health checked on /healthz.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LEADINTAKE_HTTP_HOST=0.0.0.0 \
    LEADINTAKE_HTTP_PORT=8080 \
    LEADINTAKE_DATABASE_URL=sqlite:////data/leadintake.sqlite3

WORKDIR /app
# WeasyPrint (quote, invoice and act PDFs) lays text out with Pango; the fonts are shipped.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY requirements/lock.txt ./requirements/lock.txt
RUN pip install --no-cache-dir -r requirements/lock.txt
COPY intake ./intake
COPY channels ./channels
COPY dedupe ./dedupe
COPY crm_core ./crm_core
COPY config ./config
COPY offline ./offline
COPY workplace ./workplace
RUN pip install --no-cache-dir --no-deps . \
    && useradd --system --uid 10001 --home-dir /data --create-home leadintake

USER leadintake
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 else 1)"
CMD ["leadintake", "serve"]
