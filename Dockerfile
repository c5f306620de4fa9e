# The hub image used by docker-compose.yml: the alerthub distribution on a slim Python.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY domain domain
COPY adapters adapters
COPY projections projections
COPY schemas schemas
COPY hub hub
RUN pip install --no-cache-dir . && useradd --system alerthub && mkdir /data && chown alerthub /data
USER alerthub
ENV ALERTHUB_DATA_DIR=/data
EXPOSE 8000
CMD ["alerthub", "serve"]
