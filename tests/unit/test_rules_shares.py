"""compulsory_shares is compulsory_dues without the explanation: the same amounts, always."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules import compulsory_dues
from sibook.rules.contribution import compulsory_shares

months = st.builds(Period, st.integers(1990, 2032), st.integers(1, 12))
bases = st.one_of(st.integers(1, 200_000_000), st.sampled_from([1, 4_960_000, 46_800_000,
                                                                  46_800_001, 99_200_000]))
regions = st.sampled_from(["I", "II", "III", "IV"])
oa_rates = st.sampled_from(["standard", "reduced"])
kinds = st.sampled_from(["compulsory", "foreign"])


@settings(max_examples=600, deadline=None)
@given(month=months, basis=bases, region=regions, oa_rate=oa_rates, kind=kinds)
def test_shares_equal_the_dues_of_a_recorded_basis(
        month: Period, basis: int, region: str, oa_rate: str,
        kind: Literal["compulsory", "foreign"]) -> None:
    try:
        dues = compulsory_dues(month=month, salary=basis, region=region, oa_rate=oa_rate,
                               kind=kind, check_minimum=False)
    except ValidationError as exc:  # before the law tables begin: the same refusal
        with pytest.raises(type(exc)):
            compulsory_shares(month, basis, region, oa_rate, kind)
        return
    assert compulsory_shares(month, basis, region, oa_rate, kind) == (
        dues.employer.as_dict(), dues.employee.as_dict())


def test_a_basis_above_both_caps_is_capped_like_the_dues() -> None:
    employer, employee = compulsory_shares(Period(2026, 1), 120_000_000, "I")
    assert employee["retirement_survivorship"] == 3_744_000  # 8% of 20 x 2,340,000
    assert employer["total"] + employee["total"] == compulsory_dues(
        month=Period(2026, 1), salary=120_000_000, region="I").total


def test_an_unknown_region_is_refused_as_the_dues_refuse_it() -> None:
    with pytest.raises(ValidationError, match="region"):
        compulsory_shares(Period(2026, 1), 10_000_000, "V")
