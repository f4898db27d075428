"""`sibook serve --port N` with the development provider: sign-in goes to the port served."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sibook.access.settings import get_access_settings
from sibook.cli.serve import _follow_dev_idp


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Set first, so monkeypatch restores them (absent) after what serve writes.
    for name in ("SIBOOK_OIDC_ISSUER", "SIBOOK_OIDC_REDIRECT_URI"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    yield
    get_access_settings.cache_clear()


def test_the_dev_provider_follows_the_port_served() -> None:
    _follow_dev_idp("0.0.0.0", 8123)
    settings = get_access_settings()
    assert settings.oidc_issuer == "http://127.0.0.1:8123/dev-idp"
    assert settings.oidc_redirect_uri == "http://127.0.0.1:8123/api/v1/auth/callback"


def test_an_issuer_that_was_set_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIBOOK_OIDC_ISSUER", "https://idp.example/dev-idp")
    _follow_dev_idp("::1", 9000)
    assert os.environ["SIBOOK_OIDC_ISSUER"] == "https://idp.example/dev-idp"
    assert os.environ["SIBOOK_OIDC_REDIRECT_URI"] == "http://[::1]:9000/api/v1/auth/callback"
