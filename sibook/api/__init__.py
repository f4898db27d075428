"""The FastAPI app: mounts each part's router under /api/v1 and maps errors to HTTP answers."""
