"""A multipart body that ends before its closing boundary is refused as one that cannot be read.

python-multipart stops wherever the body stops (its ``MultipartParser.finalize`` checks nothing,
a TODO in its code; see encode/starlette#3153), so a body cut short reads as the parts that
arrived whole: the route then answers 422 "field required" for a file that was sent, or takes
a form whose last part lost only the boundary after it. RFC 2046 §5.1.1 closes every
multipart body with ``--boundary--``. This pure ASGI middleware watches the body go by for it
and, when the body ends without it, fails the read with the 400 that a body which cannot be
parsed gets (the route's parse of the form re-raises an HTTPException as it comes).
"""

from __future__ import annotations

from python_multipart.multipart import parse_options_header
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class MultipartEnd:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        close = _close_delimiter(scope) if scope["type"] == "http" else None
        if close is None:
            await self.app(scope, receive, send)
            return
        tail, closed = b"", False

        async def watched() -> Message:
            nonlocal tail, closed
            message = await receive()
            if closed or message["type"] != "http.request":
                return message  # a disconnect (or the 413's cut) is not ours to answer
            window = tail + message.get("body", b"")
            closed = close in window
            tail = window[1 - len(close):]  # a delimiter split across two chunks is found
            if not closed and not message.get("more_body", False):
                raise HTTPException(400, f"the multipart body was cut short: it ends before "
                                         f"its closing boundary {close.decode('latin-1')}")
            return message

        await self.app(scope, watched, send)


def _close_delimiter(scope: Scope) -> bytes | None:
    """``--boundary--`` of a multipart/form-data request; None for any other body, or one
    without a boundary (the form parser refuses that itself)."""
    header = next((v for k, v in scope["headers"] if k == b"content-type"), None)
    if header is None:
        return None
    media, params = parse_options_header(header.decode("latin-1"))
    boundary = params.get(b"boundary")
    return b"--" + boundary + b"--" if media == b"multipart/form-data" and boundary else None
