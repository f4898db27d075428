"""SIBOOK_* settings as they are read, and as the README documents them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from sibook.access.settings import AccessSettings
from sibook.cli.output import settings_problem
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


def test_the_readme_documents_every_setting() -> None:
    """The README's configuration table names every variable the settings read, so an operator
    finds each one there (the token, OIDC, rate and lockout ones were once missing)."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Configuration", 1)[1].split("\n\n")[2]
    names = {f"SIBOOK_{name.upper()}" for cls in (Settings, AccessSettings)
             for name in cls.model_fields}
    assert {n for n in names if f"`{n}`" not in table} == set()


@pytest.mark.parametrize(("given", "read"), [
    ("https://sobhxh.example.gov.vn/", "https://sobhxh.example.gov.vn"),
    (" http://10.0.0.5:8000 ", "http://10.0.0.5:8000"), (None, None)])
def test_the_public_address_is_read_as_printed(given: str | None, read: str | None) -> None:
    assert Settings(public_url=given).public_url == read


@pytest.mark.parametrize("given", ["sobhxh.example.gov.vn", "ftp://x", "https://", "https://x?a=1"])
def test_a_public_address_no_reader_could_type_is_refused(given: str) -> None:
    with pytest.raises(ValueError, match="http"):
        Settings(public_url=given)


@pytest.mark.parametrize("name", ["SIBOOK_ACCESS_TOKEN_TTL", "SIBOOK_PORTAL_SESSION_MAX_SECONDS"])
@pytest.mark.parametrize("value", ["0", "-60"])
def test_a_token_or_session_lifetime_that_is_not_positive_is_refused_naming_it(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    """0 or less made every portal session end 30 s after its sign-in (or every token at
    once), silently; now the variable is refused at start, named as it was set."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        AccessSettings()
    problem = settings_problem(refused.value)
    assert problem is not None and problem.field == name
    assert "greater than 0" in problem.reason and repr(int(value)) in problem.reason


@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_limit_of_failed_hi_checks_that_is_not_positive_is_refused(
        monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    """0 would stop a facility before its first failed check, or (as a falsy threshold) fall
    back to the sign-in lockout's 5 unsaid."""
    monkeypatch.setenv("SIBOOK_HI_CHECK_FAILURES_PER_HOUR", value)
    with pytest.raises(ValidationError) as refused:
        AccessSettings()
    problem = settings_problem(refused.value)
    assert problem is not None and problem.field == "SIBOOK_HI_CHECK_FAILURES_PER_HOUR"


@pytest.mark.parametrize(("settings", "variable"), [
    (Settings, "SIBOOK_PORT"), (Settings, "SIBOOK_LOCK_WAIT_SECONDS"),
    (Settings, "SIBOOK_MAX_UPLOAD_BYTES"), (AccessSettings, "SIBOOK_LOCKOUT_MINUTES"),
    (AccessSettings, "SIBOOK_ACCESS_TOKEN_TTL"),
])
def test_a_number_written_with_pythons_digit_separator_is_refused(
        monkeypatch: pytest.MonkeyPatch, settings: type[Settings | AccessSettings],
        variable: str) -> None:
    """``SIBOOK_PORT=80_80`` was port 8080, ``SIBOOK_LOCKOUT_MINUTES=1_5`` 15 minutes."""
    monkeypatch.setenv(variable, "1_5")
    with pytest.raises(ValidationError, match="written in digits"):
        settings()
