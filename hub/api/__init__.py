"""The HTTP API (FastAPI): the only place HTTP status codes are decided."""
