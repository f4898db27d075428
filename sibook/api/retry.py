"""A request whose transaction PostgreSQL aborted as a deadlock's victim (or a serialization
failure) is run again whole, before its client hears of it.

Pure ASGI, outermost: each attempt is a fresh run of the app, so a route reads its body again
as the client sent it (its upload parsed anew, not a file already read to its end) and its
dependencies open a new unit of work. The body goes by once; kept as it arrives (in memory
up to a megabyte, then in a temporary file), it is replayed to a second attempt, which then
reads on from the client where the first stopped. An attempt is run again only when its
answer is an error (5xx) from a rolled-back unit of work that failed so, and it committed no
write before (``sibook.core.retry``); its answer is then never sent. After the last attempt
the answer is the app's own (503: try again later). A rate limit counts the request once,
however many attempts it takes (``ratelimit.COUNTED``).
"""

from __future__ import annotations

import tempfile
from typing import IO

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sibook.access import ratelimit
from sibook.core import retry

SPOOL_BYTES = 1024 * 1024
CHUNK = 64 * 1024


class RetryAborted:
    def __init__(self, app: ASGIApp, attempts: int = retry.ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope = {**scope, ratelimit.COUNTED: set()}  # shared by the attempts' copies
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as kept:
            body = _Body(receive, kept)
            for tries in range(1, self.attempts + 1):
                if not await self._attempt(scope, body, send, last=tries == self.attempts):
                    return
                await anyio.sleep(retry.backoff(tries))

    async def _attempt(self, scope: Scope, body: _Body, send: Send, *, last: bool) -> bool:
        """Run the app once; True when its answer was held back to run it again."""
        held = False

        async def answer(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                held = not last and current.may_retry and message["status"] >= 500
            if not held:
                await send(message)

        fresh = {**scope, "state": dict(scope["state"])} if "state" in scope else dict(scope)
        with retry.attempt() as current:
            await self.app(fresh, body.replayed(), answer)
        return held


class _Body:
    """The request's body as the client sends it, kept to be read again."""

    def __init__(self, receive: Receive, kept: IO[bytes]) -> None:
        self.receive = receive
        self.kept = kept
        self.size = 0
        self.ended = False  # the body's last message has come

    def replayed(self) -> Receive:
        """A receive that gives what was kept, then reads on from the client."""
        offset, told_end = 0, False

        async def receive() -> Message:
            nonlocal offset, told_end
            if offset < self.size or (self.ended and not told_end):
                self.kept.seek(offset)
                chunk = self.kept.read(CHUNK)
                offset += len(chunk)
                told_end = self.ended and offset == self.size
                return {"type": "http.request", "body": chunk, "more_body": not told_end}
            message = await self.receive()  # after the body: the client's disconnect
            if message["type"] == "http.request" and not self.ended:
                chunk = message.get("body", b"")
                self.kept.seek(self.size)
                self.kept.write(chunk)
                self.size = offset = self.size + len(chunk)
                self.ended = told_end = not message.get("more_body", False)
            return message

        return receive
