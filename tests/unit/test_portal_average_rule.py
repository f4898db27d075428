"""The estimate's averaging rule as the portal says it in Vietnamese, in Law 41/2024 Art 72's
words: the whole period, the state scale's last years, or both kinds of time together."""

from __future__ import annotations

from sibook.core.period import Period
from sibook.portal.web import average_rule_vi
from sibook.rules import average_salary

PAY = [(Period(2020, m), 10_000_000) for m in range(1, 13)]
LATER = [(Period(2021, m), 12_000_000) for m in range(1, 13)]


def _said(own: list[tuple[Period, int]], state: list[tuple[Period, int]]) -> str:
    rule = average_salary(history=own, state_history=state, started=2005,
                          settlement=Period(2026, 3), revalued_for=2026).rule
    return average_rule_vi(rule.as_dict())


def test_employer_set_pay_is_the_whole_period() -> None:
    assert _said(PAY, []) == "Bình quân tiền lương của toàn bộ thời gian đóng"


def test_the_state_scale_names_its_last_years_and_the_year_si_started() -> None:
    assert _said([], PAY) == ("Bình quân tiền lương theo chế độ tiền lương do Nhà nước quy định "
                              "của 8 năm cuối (bắt đầu đóng năm 2005)")


def test_both_kinds_of_time_are_averaged_together() -> None:
    assert _said(LATER, PAY).startswith("Bình quân chung các thời gian")
    assert "8 năm cuối (bắt đầu đóng năm 2005)" in _said(LATER, PAY)
