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
