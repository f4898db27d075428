"""A multipart body must end with its closing boundary (RFC 2046 §5.1.1), wherever the chunks
of the stream fall; other bodies, and a client that went away, are left alone."""

from __future__ import annotations

import asyncio

import pytest
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from sibook.api.multipart_end import MultipartEnd

FORM = b"multipart/form-data; boundary=cut"
BODY = b'--cut\r\nContent-Disposition: form-data; name="month"\r\n\r\n2026-01\r\n--cut--\r\n'


async def _read_to_the_end(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body"):
        pass


def read(chunks: list[bytes], content_type: bytes = FORM, *, then: str | None = None) -> None:
    """Stream ``chunks`` (and a disconnect after them when ``then`` says so) to an app that
    reads the body through the middleware."""
    messages: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1 or bool(then)}
        for i, c in enumerate(chunks)] + ([{"type": then}] if then else [])

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent")

    scope = {"type": "http", "headers": [(b"content-type", content_type)]}
    asyncio.run(MultipartEnd(_read_to_the_end)(scope, receive, send))


@pytest.mark.parametrize("at", range(1, len(BODY)))
def test_a_whole_body_passes_wherever_the_stream_splits_it(at: int) -> None:
    read([BODY[:at], BODY[at:]])


def test_an_epilogue_after_the_closing_boundary_passes() -> None:
    read([BODY, b"an epilogue, which readers ignore"])


def test_a_body_without_the_line_break_after_its_closing_boundary_passes() -> None:
    read([BODY.removesuffix(b"\r\n")])


@pytest.mark.parametrize("cut", [3, 7, 9, len(BODY) - 10])
def test_a_body_that_ends_before_its_closing_boundary_fails_the_read_with_a_400(cut: int) -> None:
    with pytest.raises(HTTPException) as refused:
        read([BODY[:-cut]])
    assert refused.value.status_code == 400
    assert refused.value.detail.endswith("before its closing boundary --cut--")


def test_a_client_that_goes_away_is_not_answered() -> None:
    read([BODY[:20]], then="http.disconnect")


@pytest.mark.parametrize("content_type", [b"application/json", b"multipart/form-data"])
def test_a_body_that_is_not_multipart_or_has_no_boundary_is_not_watched(
        content_type: bytes) -> None:
    read([b'{"month": 2026'], content_type)
