"""A cap on request bodies, enforced while they arrive.

Starlette spools an uploaded file to disk without any limit, so one oversized (or endless,
chunked) upload could fill the server's disk before a route ever sees it. This pure ASGI
middleware refuses a body declared larger than the cap at once, and cuts one that grows past it
while streaming: the application's own answer to the cut body is replaced by the 413.
Written by hand because neither Starlette nor FastAPI has such a cap (uvicorn has none either).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A page that says the refusal instead of the JSON, for a request it answers (a form posted to
# the citizen portal); None for any other.
Page = Callable[[Request, int], Response | None]


class BodyLimit:
    def __init__(self, app: ASGIApp, limit: int, page: Page | None = None) -> None:
        self.app = app
        self.limit = limit
        self.page = page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(scope, receive, send, f"the request body is {declared:,} bytes")
            return
        seen = 0
        cut = answered = False

        async def counted() -> Message:
            nonlocal seen, cut
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    cut = True  # read no further: to the app the client has gone
                    return {"type": "http.disconnect"}
            return message

        async def unless_cut(message: Message) -> None:
            nonlocal answered
            if cut:
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, unless_cut)
        except Exception:
            if not cut:
                raise
        if cut and not answered:
            await self._refuse(scope, receive, send,
                               f"the request body grew past {self.limit:,} bytes")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        page = None if self.page is None else self.page(Request(scope), self.limit)
        if page is not None:
            page.headers["Connection"] = "close"  # the rest of the body is not read
            await page(scope, receive, send)
            return
        body = json.dumps({"errors": [{"field": "body", "reason": (
            f"{what}; at most {self.limit:,} are accepted (SIBOOK_MAX_UPLOAD_BYTES); a "
            f"monthly list may be filed in several batches")}]}).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None
