"""A query string that is not UTF-8 text is refused (422) before any layer reads it.

Browsers and HTTP libraries percent-encode a query (``?ho_ten=Nguy%E1%BB%85n``), but a script
may send raw bytes. Raw UTF-8 is read as typed; any other byte (``?x=\\xff``) made Starlette's
``request.url`` raise UnicodeDecodeError in the error handlers themselves, so the server
answered a plain-text 500. Pure ASGI, outermost: nothing inside sees such a request.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send


class QueryText:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query: bytes = scope.get("query_string", b"")
            try:
                query.decode("utf-8")
            except UnicodeDecodeError as exc:
                await _refuse(send, exc.start)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, at: int) -> None:
    body = json.dumps({"errors": [{"field": "query", "reason": (
        f"the query string is not UTF-8 text (byte {at + 1}); percent-encode its bytes, as "
        "RFC 3986 says (e.g. ?ho_ten=Nguy%E1%BB%85n)")}]}).encode()
    await send({"type": "http.response.start", "status": 422, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
