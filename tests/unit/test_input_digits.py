"""Only 0-9 are digits at the edge: ``\\d`` in Python's, Polars' and Pydantic's regexes matches
any script's digits, and "20٢٦-01" passed the month pattern into an int cast (a 500)."""

from __future__ import annotations

import re

import pydantic
import pytest

from sibook.core.period import MONTH_PATTERN, Period
from sibook.registry.schemas import PersonIn

ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"


def test_a_month_in_other_digits_is_not_a_month() -> None:
    assert re.fullmatch(MONTH_PATTERN, "20٢٦-01") is None
    with pytest.raises(ValueError):
        Period.parse("20٢٦-01")


def test_a_personal_id_in_other_digits_is_refused_by_the_api_model() -> None:
    other = "001089012345".translate(str.maketrans("0123456789", ARABIC_INDIC))
    with pytest.raises(pydantic.ValidationError):
        PersonIn(personal_id=other, full_name="A", birth_date="1989-03-02", sex="male",
                 birth_registration_place="001")
