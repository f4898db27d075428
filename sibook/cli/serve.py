"""`sibook serve`: the HTTP API with its OpenAPI docs."""

from __future__ import annotations

import typer
import uvicorn

from sibook.cli.context import ready_engine
from sibook.core.config import get_settings


def serve(
    host: str = typer.Option(None, "--host", help="Bind address (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000)."),
) -> None:
    """Serve the API; docs at /docs, OpenAPI at /api/v1/openapi.json."""
    settings = get_settings()
    ready_engine()
    uvicorn.run(
        "sibook.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
    )
