"""`sibook serve --port N` with the development provider: sign-in goes to the port served;
a port another server holds is refused naming it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sibook.access.settings import get_access_settings
from sibook.cli.main import app
from sibook.cli.serve import _follow_dev_idp
from sibook.core.config import get_settings


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


@pytest.mark.parametrize("by_flag", [True, False])
def test_a_port_in_use_is_refused_naming_it(
        by_flag: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` started twice: uvicorn started the app, logged "[Errno 98] error while
    attempting to bind" among its INFO lines and exited 3, a code the contract has not."""
    monkeypatch.setenv("SIBOOK_DATABASE_URL", f"sqlite:///{tmp_path / 'sibook.db'}")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", str(tmp_path / "keys"))
    get_settings.cache_clear()
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        if by_flag:
            result = CliRunner().invoke(app, ["serve", "--port", str(port)])
        else:
            monkeypatch.setenv("SIBOOK_PORT", str(port))
            get_settings.cache_clear()
            result = CliRunner().invoke(app, ["serve"])
    get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    field = "--port" if by_flag else "SIBOOK_PORT"
    # (after the line saying the test's new database was made)
    assert result.stderr.splitlines()[-1] == (
        f"error: {field}: 127.0.0.1:{port} is in use, by another sibook serve or another "
        "program: stop it, or serve on another port (--port, SIBOOK_PORT)")
