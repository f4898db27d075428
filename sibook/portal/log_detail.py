"""An access-log entry's detail (``sibook.access.details``: "key value" parts) in the citizen's
words: each part's name in Vietnamese and English, its months and days as the pages write them,
a payment method, salary regime, benefit or decision's outcome said, not coded. A part the
portal has no words for reads as logged, so a detail written by a later version still shows
whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape

from sibook.access import details as d
from sibook.benefits.domain import GROUNDS, NAMES, REFUSED, SETTLED, Regime
from sibook.book.render_pdf import benefit_event
from sibook.portal.web import bilingual, day, month

LABEL = {
    d.UNIT: "Đơn vị / unit", d.PAYMENT: "khoản nộp số / payment", d.PAID_ON: "ngày nộp / paid on",
    d.MONTHS: "trả cho tháng / months paid",
    d.PAYMENT_CYCLE: "phương thức đóng / payment method",
    d.SALARY_REGIME: "chế độ tiền lương / salary regime", d.FROM: "từ tháng / from",
    d.MONTH: "tháng kê khai / month declared", d.BATCH: "đợt / batch",
    d.DECLARATION: "mã kê khai / declaration",
    d.REGIME: "chế độ / benefit", d.DOSSIER: "hồ sơ số / dossier",
    d.DECISION: "quyết định số / decision", d.OUTCOME: "kết quả / outcome",
}
CYCLE = {"monthly": "hằng tháng / monthly", "3": "3 tháng một lần / every 3 months",
         "6": "6 tháng một lần / every 6 months"}
REGIME = {"employer": "do đơn vị quyết định / set by the unit",
          "state": "theo chế độ tiền lương do Nhà nước quy định / the state's salary scale"}

ENGLISH = {Regime.SICKNESS: "sickness", Regime.MATERNITY: "maternity",
           Regime.OCCUPATIONAL: "work accident or occupational disease",
           Regime.PENSION: "pension", Regime.SURVIVORSHIP: "survivorship",
           Regime.LUMP_SUM: "one-time withdrawal", Regime.UNEMPLOYMENT: "unemployment benefit"}
BENEFIT = {str(r): f"{NAMES[r]} / {ENGLISH[r]}" for r in Regime}
OUTCOME = {SETTLED: "giải quyết / settled", REFUSED: "từ chối / refused"}


def _months(value: str) -> str:
    first, _, last = value.partition("..")
    return month(first) if not last else f"{month(first)}–{month(last)}"


VALUE: dict[str, Callable[[str], str]] = {
    d.PAID_ON: day, d.MONTHS: _months, d.FROM: month, d.MONTH: month,
    d.PAYMENT_CYCLE: lambda v: CYCLE.get(v, v), d.SALARY_REGIME: lambda v: REGIME.get(v, v),
    d.REGIME: lambda v: BENEFIT.get(v, v), d.OUTCOME: lambda v: OUTCOME.get(v, v),
}


def unit_codes(details: Iterable[str | None]) -> set[str]:
    """The unit codes the details name."""
    return {value for detail in details if detail
            for key, value in d.parts(detail) if key == d.UNIT and value}


def detail_vi(detail: str | None, units: Mapping[str, str] | None = None) -> Markup:
    """The parts, "name: value" each, joined by "; " (nothing for an entry without a detail);
    a unit by ``units``' "name (code)" where it has it, as the book names a unit (a citizen does
    not know their employer by its tax code), else by its code."""
    if not detail:
        return Markup("")
    said = []
    for key, value in d.parts(detail):
        if key not in LABEL or not value:
            said.append(bilingual(f"{key} {value}".strip()))
            continue
        if key == d.UNIT and units and value in units:
            said.append(Markup("{}: {}").format(bilingual(LABEL[key]), units[value]))
            continue
        try:
            shown = VALUE.get(key, str)(value)
        except ValueError:  # not a month or day after all: as logged
            shown = value
        said.append(Markup("{}: {}").format(
            bilingual(LABEL[key]), bilingual(shown) if " / " in shown else escape(shown)))
    return Markup("; ").join(said)


def regime_said(regime: str) -> Markup:
    """A benefit's regime in both languages, as the access log's entries name it."""
    return bilingual(BENEFIT.get(regime, regime))


def benefit_event_said(b: Mapping[str, Any]) -> Markup:
    """A benefits row's event line: the PDF's Vietnamese (``benefit_event``), and its words in
    English after it; its days alone (a leave's first to last day) need none."""
    vietnamese = benefit_event(dict(b))
    days = [day(b[k]) for k in ("event_from", "event_to") if k in b]
    english = [f"Art 70(1) {GROUNDS[b['ground']]}" if "ground" in b else " – ".join(days),
               f"{b['capacity_loss_percent']}% loss of working capacity"
               if "capacity_loss_percent" in b else "",
               f"{b['hazardous_years']} years in especially heavy, hazardous or dangerous jobs"
               if "hazardous_years" in b else "",
               "after leave for infertility treatment" if b.get("infertility_treatment") else "",
               f"occupational disease, appendix {b['disease_code']}"
               + (f", exposure ended {month(b['exposure_ended'])}" if "exposure_ended" in b
                  else "") if "disease_code" in b else ""]
    said = "; ".join(p for p in english if p)
    return escape(vietnamese) if said == vietnamese else bilingual(f"{vietnamese} / {said}")
