# The PPUD application image; docker-compose.yml runs it against MongoDB 8.

# The pages' styles and scripts, exactly as web/package-lock.json pins them.
FROM node:20-bookworm-slim AS assets
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 tesseract-ocr tesseract-ocr-eng \
    libreoffice-writer-nogui \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY server ./server
COPY records ./records
COPY dossier_builder ./dossier_builder
COPY retention ./retention
COPY search ./search
COPY web ./web
COPY --from=assets /web/node_modules ./web/node_modules
# Editable, so the pages' templates and assets are read from /app/web.
RUN pip install --no-cache-dir --no-deps -e .

RUN useradd --system --home /var/lib/ppud ppud && mkdir -p /var/lib/ppud && chown ppud /var/lib/ppud
USER ppud
ENV PPUD_HOST=0.0.0.0 PPUD_PORT=8000 PPUD_DATA_DIR=/var/lib/ppud PPUD_ENV=production
EXPOSE 8000
CMD ["ppud", "serve"]
