"""Occupational diseases and their guarantee periods (``occupational_diseases.csv``).

A disease diagnosed after exposure to its harmful factor ended is still occupational when it is
diagnosed within the guarantee period ("thời gian bảo đảm", Circular 15/2016/TT-BYT Art 2) its
appendix sets, per form or lesion where the periods differ; the worker, retired or out of the
job, is then assessed and handled as while in it (Law 84/2015/QH13 Art 46(2)) and the
occupational accident and disease fund pays (Decree 88/2020/ND-CP Art 5(3)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from sibook.law.tables import LawDataError, LawRow, LawTable

TABLE = "occupational_diseases"
TEXT_COLUMNS = ("unit", "name", "form")
UNITS = ("hour", "day", "month", "year", "unlimited")
# Who may claim after the job ended, and who pays, as a reason cites them.
AFTER_THE_JOB = "Law 84/2015/QH13 Art 46(2); paid by the OA/OD fund, Decree 88/2020/ND-CP Art 5(3)"
_WORDS = {"hour": "hours", "day": "days", "month": "months", "year": "years"}


@dataclass(frozen=True, slots=True)
class Guarantee:
    """One disease's (or one form's) guarantee period, with the row it comes from."""

    code: int
    form: str | None  # the form's key in the table; None when the disease has one period
    row: LawRow

    @property
    def name(self) -> str:
        return self.row.texts["name"]

    @property
    def form_name(self) -> str:
        return self.row.texts["form"]

    @property
    def unlimited(self) -> bool:
        return self.row.texts["unit"] == "unlimited"

    @property
    def period(self) -> str:
        """The period as a reason words it: "1 year", "24 hours", "no time limit"."""
        if self.unlimited:
            return "no time limit"
        amount, unit = int(self.row.value("amount")), self.row.texts["unit"]
        return f"{amount} {unit if amount == 1 else _WORDS[unit]}"

    @property
    def source(self) -> str:
        mark = ", provisional" if self.row.provisional else ""
        return f"{self.row.source}{mark}"

    def last_day(self, exposure_ended: Period) -> date | None:
        """The last day a diagnosis is within the period, counted from the last day of the
        month exposure ended (the book knows months, not the day in it); None: no limit."""
        if self.unlimited:
            return None
        amount, unit = int(self.row.value("amount")), self.row.texts["unit"]
        if unit == "month":
            return (exposure_ended + amount).last_day
        if unit == "year":
            return (exposure_ended + 12 * amount).last_day
        days = amount if unit == "day" else -(-amount // 24)  # hours: whole days, rounded up
        return exposure_ended.last_day + timedelta(days=days)


def check_rows(table: LawTable) -> None:
    """Each row has a unit the code counts, and an amount unless unlimited."""
    for row in table.rows:
        unit = row.texts["unit"]
        if unit not in UNITS:
            raise LawDataError(f"{TABLE}.csv line {row.line}: unit {unit!r} is not one of "
                               f"{', '.join(UNITS)}")
        if (unit == "unlimited") != ("amount" in row.unset):
            raise LawDataError(f"{TABLE}.csv line {row.line}: amount is none exactly when the "
                               "unit is unlimited")
        if not row.texts["name"]:
            raise LawDataError(f"{TABLE}.csv line {row.line}: the disease needs its name")


def forms_of(table: LawTable, code: int) -> tuple[str, ...]:
    """The forms the table sets periods for (empty: one period, or the disease is absent)."""
    return tuple(k.split(":", 1)[1] for k in table.keys if k.startswith(f"{code}:"))


def known(table: LawTable, code: int) -> bool:
    return table.has(str(code)) or bool(forms_of(table, code))


def guarantee(table: LawTable, code: int, form: str | None, on: Period) -> Guarantee:
    """The guarantee period in force in month ``on`` for the disease (and form); refused, by
    field, when the table has none for it or the form is missing or not one of its forms."""
    forms = forms_of(table, code)
    if not known(table, code):
        raise ValidationError(Problem(field="disease_code", reason=(
            f"no guarantee period in the law tables for disease {code} (Circular 15/2016/TT-BYT "
            f"Appendix {code}): sibook/law/data/occupational_diseases.csv loads only the "
            "appendices read")))
    if forms and form not in forms:
        named = "none was given" if form is None else f"got {form[:40]!r}"
        raise ValidationError(Problem(field="disease_form", reason=(
            f"disease {code} has a guarantee period per form (Circular 15/2016/TT-BYT Appendix "
            f"{code}): one of {', '.join(forms)}; {named}")))
    if not forms and form is not None:
        raise ValidationError(Problem(field="disease_form", reason=(
            f"disease {code} has one guarantee period (Circular 15/2016/TT-BYT Appendix {code}); "
            "it takes no form")))
    key = str(code) if form is None else f"{code}:{form}"
    return Guarantee(code, form, table.at(key, on))
