"""HEAD answered as GET without the body, as HTTP requires of every server (RFC 9110 §9.1).

Starlette's own routes do this, FastAPI's do not (fastapi/fastapi#1773, open): a monitor's or
a download manager's HEAD of ``/healthz`` or a book's PDF got a 405. This pure ASGI middleware
runs a HEAD through the app as the GET it stands for, so it is authorised, validated and
audit-logged exactly as that GET, and passes on the status and headers (Content-Length
included, as RFC 9110 §9.3.2 allows) with an empty body. The OpenAPI keeps only the GETs: HEAD
is implied by them (and a 405's ``Allow``, made in ``app``, names HEAD wherever it names GET).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # a streamed body's chunks are dropped; its end is sent
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, bodiless)
