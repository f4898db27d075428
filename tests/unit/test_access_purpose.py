"""The purpose a caller states (X-Purpose), as the access log keeps it: the header's bytes."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from sibook.access.deps import purpose_of
from sibook.access.policy import RULES, Action


def _with(purpose: bytes | None) -> Request:
    headers = [] if purpose is None else [(b"x-purpose", purpose)]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


@pytest.mark.parametrize(("sent", "kept"), [
    ("kiểm tra hồ sơ HS-2026-0001".encode(), "kiểm tra hồ sơ HS-2026-0001"),  # UTF-8
    (b"caf\xe9 check", "café check"),  # not UTF-8: the bytes as Latin-1 reads them
    (b"  payroll\x01 check  ", "payroll check"),  # control characters and spaces dropped
    (b"   ", RULES[Action.BOOK_READ].purpose),  # none stated: the action's own
    (None, RULES[Action.BOOK_READ].purpose),
])
def test_the_stated_purpose_is_read_from_its_bytes(sent: bytes | None, kept: str) -> None:
    assert purpose_of(_with(sent), Action.BOOK_READ) == kept
