"""SIBOOK_DATABASE_URL as the settings read it."""

from __future__ import annotations

import pytest

from sibook.core.config import Settings


@pytest.mark.parametrize("given", ["postgresql://u@db:5432/sibook", "postgres://u@db:5432/sibook",
                                   "POSTGRES://u@db:5432/sibook"])
def test_a_postgresql_url_without_a_driver_is_read_through_psycopg(given: str) -> None:
    assert Settings(database_url=given).database_url == "postgresql+psycopg://u@db:5432/sibook"


@pytest.mark.parametrize("given", ["sqlite:///sibook.db", "postgresql+psycopg://u@db/sibook",
                                   "postgresql+psycopg2://u@db/sibook", "sibook.db",
                                   "bogus://postgres/x"])
def test_any_other_url_is_left_as_given(given: str) -> None:
    assert Settings(database_url=given).database_url == given


def test_a_variable_set_empty_is_one_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SIBOOK_DATABASE_URL=`` (a shell line, a unit file's blank value) means the default
    database, not a URL that names none."""
    from sibook.access.settings import AccessSettings

    monkeypatch.setenv("SIBOOK_DATABASE_URL", "")
    monkeypatch.setenv("SIBOOK_KEYS_DIR", "")
    monkeypatch.setenv("SIBOOK_OIDC_ISSUER", "")
    assert Settings().database_url == Settings.model_fields["database_url"].default
    assert Settings().keys_dir == AccessSettings().keys_dir == "keys"
    assert AccessSettings().oidc_issuer == AccessSettings.model_fields["oidc_issuer"].default
