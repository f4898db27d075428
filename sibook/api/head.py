"""HEAD answered as GET without the body, as HTTP requires of every server (RFC 9110 §9.1).

Starlette's own routes do this, FastAPI's do not (fastapi/fastapi#1773, open): a monitor's or
a download manager's HEAD of ``/healthz`` or a book's PDF got a 405. This pure ASGI middleware
runs a HEAD through the app as the GET it stands for, so it is authorised, validated and
audit-logged exactly as that GET, and passes on the status and headers (Content-Length
included, as RFC 9110 §9.3.2 allows) with an empty body. The OpenAPI keeps only the GETs: HEAD
is implied by them. A 405's ``Allow`` names HEAD wherever it names GET.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def answered(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                _allow_head(message)
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body's chunks are dropped; its end is sent
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"} if head else scope, receive, answered)


def _allow_head(start: Message) -> None:
    headers = MutableHeaders(scope=start)
    allowed = [m.strip() for m in headers.get("allow", "").split(",") if m.strip()]
    if "GET" in allowed and "HEAD" not in allowed:
        headers["allow"] = ", ".join([*allowed, "HEAD"])
