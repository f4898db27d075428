"""`sibook serve`: the HTTP API with its OpenAPI docs."""

from __future__ import annotations

import errno
import os
import socket

import typer
import uvicorn

from sibook.access.settings import get_access_settings
from sibook.api import request_log
from sibook.cli.context import ready_engine
from sibook.cli.output import refuse
from sibook.core.config import get_settings
from sibook.core.errors import Problem


def serve(
    host: str = typer.Option(None, "--host", metavar="HOST",
                             help="Bind address (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", metavar="PORT", min=1, max=65535,
                             help="Port (default 8000)."),
) -> None:
    """Serve the API; docs at /docs, OpenAPI at /api/v1/openapi.json."""
    settings = get_settings()
    ready_engine()
    bind_host, bind_port = host or settings.host, port or settings.port
    _port_is_free(bind_host, bind_port, "--port" if port else "SIBOOK_PORT")
    if get_access_settings().dev_idp:
        _follow_dev_idp(bind_host, bind_port)
    uvicorn.run("sibook.api.app:create_app", factory=True, host=bind_host, port=bind_port,
                proxy_headers=bool(settings.trusted_proxies),
                forwarded_allow_ips=settings.trusted_proxies or None,
                log_config=request_log.log_config())  # no personal ID in its request lines


def _follow_dev_idp(host: str, port: int) -> None:
    """The development provider is served by this server, so its issuer and the sign-in
    callback are at the address served unless set (the defaults name 127.0.0.1:8000). A real
    provider is always configured explicitly."""
    reachable = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # bind-all: not a URL
    base = f"http://[{reachable}]:{port}" if ":" in reachable else f"http://{reachable}:{port}"
    os.environ.setdefault("SIBOOK_OIDC_ISSUER", f"{base}/dev-idp")
    os.environ.setdefault("SIBOOK_OIDC_REDIRECT_URI", f"{base}/api/v1/auth/callback")
    get_access_settings.cache_clear()


def _port_is_free(host: str, port: int, field: str) -> None:
    """A port another server holds (`make run` started twice) is refused naming it, exit 1,
    where uvicorn started the app, logged its bind error and exited 3. Bound as uvicorn binds
    (SO_REUSEADDR), so a port left in TIME_WAIT is free."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.create_server((host, port), family=family):
            pass
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            return  # anything else (a host that is not this machine's) uvicorn says itself
        refuse([Problem(field=field, reason=(
            f"{host}:{port} is in use, by another sibook serve or another program: stop it, "
            "or serve on another port (--port, SIBOOK_PORT)"))], as_json=False)
