"""The benefit estimate from a book's payload: the book's salary history (months not paid in
full left out, capped), revalued, and the law's pension and one-time withdrawal formulas."""

from __future__ import annotations

from typing import Any

from sibook.book.estimate import estimate, salary_history
from sibook.core.period import Period


def _book(rows: list[tuple[str, str | None, int]], si_months: int, sex: str = "male",
          arrears: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"header": {"sex": sex},
            "totals": {"si_months": si_months},
            "sheets": [{"from": a, "to": b, "kind": "compulsory", "employer_code": "0100000155",
                        "salary_basis": pay, "allowances": 0} for a, b, pay in rows],
            "arrears": [{"employer_code": "0100000155", "month": m} for m in arrears]}


def test_two_years_at_ten_million_give_four_averages_at_once_and_no_pension() -> None:
    answer = estimate(_book([("2024-01", "2025-12", 10_000_000)], 24), Period(2025, 12))
    # Revaluation 1.00 for 2024 and 2025 (Circular 01/2025); from 2014, 2 averages a year.
    assert (answer["average_salary"], answer["revalued_for"]) == (10_000_000, 2025)
    assert answer["one_time_withdrawal"] == 40_000_000
    assert answer["pension"] is None and "15 years" in answer["pension_note"]


def test_a_year_without_published_coefficients_counts_at_face_value() -> None:
    answer = estimate(_book([("2024-01", None, 10_000_000)], 35), Period(2026, 11))
    assert (answer["average_salary"], answer["revalued_for"]) == (10_000_000, 2025)
    assert answer["one_time_withdrawal"] == 60_000_000  # 2 years 11 months count as 3


def test_months_in_arrears_and_pay_above_the_cap_are_left_out_or_capped() -> None:
    book = _book([("2025-01", "2025-12", 90_000_000)], 11, arrears=("2025-06",))
    history = salary_history(book, Period(2025, 12))
    assert len(history) == 11 and Period(2025, 6) not in {m for m, _ in history}
    assert {pay for _, pay in history} == {46_800_000}  # 20 x the reference level 2,340,000


def test_twenty_years_give_a_pension_rate() -> None:
    answer = estimate(_book([("2006-01", "2025-12", 8_000_000)], 240), Period(2025, 12))
    assert answer["pension"]["rate_percent"] == 45.0  # 20 years, a man (FACTS §4.1)
    assert answer["pension"]["monthly_pension"] == round(answer["average_salary"] * 0.45)
