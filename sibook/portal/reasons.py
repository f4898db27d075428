"""Why the estimate has no pension (or no amount), in the citizen's words.

The rules engine explains in English, and the API's and CLI's ``pension_note`` keeps that
English (a contract); the portal words the same refusal in Vietnamese, by its kind: the law
table that had no rule, or the field the rules refused. A kind without its own words here
still reads as Vietnamese, with the kind's code beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sibook import law
from sibook.book.estimate import Shortfall
from sibook.core.period import Period
from sibook.portal.web import month

Say = Callable[[Shortfall, dict[str, Any]], str]


def _paid(book: dict[str, Any]) -> str:
    months = int(book["totals"]["si_months"])
    return f"sổ mới có {months // 12} năm {months % 12} tháng"


def _too_few_years(s: Shortfall, book: dict[str, Any]) -> str:
    least = law.book().pension_min_years(s.starts).value
    return (f"Hưởng lương hưu cần đóng BHXH đủ ít nhất {least} năm ({least * 12} tháng); "
            f"{_paid(book)}.")


def _early(s: Shortfall, book: dict[str, Any]) -> str:
    needed = int(law.parameter("early_min_years", s.starts).value)
    return f"Nghỉ hưu trước tuổi cần đóng BHXH đủ ít nhất {needed} năm; {_paid(book)}."


def _when(s: Shortfall) -> Period:
    """The month the missing rule was asked for (a revaluation table's: January of its year)."""
    refused = s.refusal
    return refused.on if isinstance(refused, law.NoRuleInForce) else s.starts


def _on(s: Shortfall) -> str:
    return month(str(_when(s)))


def _kind(s: Shortfall) -> str:
    refused = s.refusal
    if isinstance(refused, law.NoRuleInForce):
        return f"table:{refused.table}"
    return refused.problems[0].field if refused.problems else ""


# By kind: a law table without a rule ("table:<name>"), else the field the rules refused.
SHORTFALL_VI: dict[str, Say] = {
    "contribution_months": _too_few_years,
    "months_early": _early,
    "months_past_retirement_age": lambda s, b: (
        "Lương hưu hưởng trước tuổi thì không có tháng đóng sau tuổi nghỉ hưu."),
    "table:pension_rates": lambda s, b: (
        f"Chưa có quy định tính lương hưu bắt đầu hưởng từ tháng {month(str(s.starts))}: "
        "lương hưu tính theo luật có hiệu lực khi bắt đầu hưởng."),
    "table:revaluation": lambda s, b: (
        f"Chưa có hệ số trượt giá tiền lương cho người bắt đầu hưởng năm {_when(s).year}, nên "
        "chưa tính được mức bình quân tiền lương."),
    "table:averaging_windows": lambda s, b: (
        f"Chưa có quy định số năm tính bình quân tiền lương cho tháng {_on(s)}, nên chưa tính "
        "được mức bình quân tiền lương."),
    "table:retirement_age": lambda s, b: (
        "Chưa có quy định tuổi nghỉ hưu áp dụng cho năm sinh của bạn."),
}


def shortfall_vi(s: Shortfall | None, book: dict[str, Any]) -> str | None:
    """The estimate's ``pension_note`` in Vietnamese (None: the estimate misses nothing)."""
    if s is None:
        return None
    kind = _kind(s)
    say = SHORTFALL_VI.get(kind)
    if say is not None:
        return say(s, book)
    return (f"Quy định của luật chưa đủ để ước tính cho tháng {_on(s)} "
            f"(mã lý do: {kind or 'không rõ'}).")
