"""`sibook serve` trusts X-Forwarded-For only from the proxies configured: a client that sends
the header itself must not choose the address the sign-in rate limit counts by."""

from __future__ import annotations

from typing import Any

import pytest

from sibook.access.settings import get_access_settings
from sibook.cli import serve as serve_cli
from sibook.core.config import get_settings


@pytest.mark.parametrize(("proxies", "expected"), [
    (None, (False, None)), ("10.0.0.5,10.0.0.6", (True, "10.0.0.5,10.0.0.6"))])
def test_forwarded_headers_are_trusted_only_from_configured_proxies(
        monkeypatch: pytest.MonkeyPatch, proxies: str | None,
        expected: tuple[bool, str | None]) -> None:
    if proxies is None:
        monkeypatch.delenv("SIBOOK_TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("SIBOOK_TRUSTED_PROXIES", proxies)
    seen = served_with(monkeypatch)
    assert (seen["proxy_headers"], seen["forwarded_allow_ips"]) == expected


def served_with(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What `sibook serve` hands uvicorn.run (no database, no development provider)."""
    monkeypatch.setenv("SIBOOK_DEV_IDP", "0")
    get_settings.cache_clear()
    get_access_settings.cache_clear()
    seen: dict[str, Any] = {}
    monkeypatch.setattr(serve_cli, "ready_engine", lambda: None)
    monkeypatch.setattr(serve_cli, "_port_is_free", lambda *_: None)
    monkeypatch.setattr(serve_cli.uvicorn, "run", lambda *a, **kw: seen.update(kw))
    try:
        serve_cli.serve(host=None, port=None)  # type: ignore[arg-type]
    finally:
        get_settings.cache_clear()
        get_access_settings.cache_clear()
    return seen
