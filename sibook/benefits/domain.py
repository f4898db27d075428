"""The pure core of benefits: regimes, a claim, a decision, and the checks each must pass.

A claim is the dossier the agency received (hồ sơ đề nghị hưởng): which regime, when, and the
event it is about. A decision settles it (quyết định hưởng: what is paid, once or each month) or
refuses it with the reason (FACTS §7.2 item 5: a refusal must say why). The amounts are the
decision's; ``sibook rules`` computes the law's formulas (FACTS §4), and a settlement checks
them against those formulas on the record where it holds what they need (``settlement`` for a
pension, ``amounts_on_record`` for the others). Money is integer VND.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sibook.benefits import occupational_facts
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.registry.domain import text_problem
from sibook.rules.inputs import PLAUSIBLE_MAX_VND
from sibook.visits.domain import clipped


class Regime(StrEnum):
    SICKNESS = "sickness"
    MATERNITY = "maternity"
    OCCUPATIONAL = "occupational"  # work accident or occupational disease
    PENSION = "pension"
    SURVIVORSHIP = "survivorship"
    LUMP_SUM = "lump_sum"  # one-time SI withdrawal
    UNEMPLOYMENT = "unemployment"


NAMES: dict[Regime, str] = {
    Regime.SICKNESS: "Ốm đau",
    Regime.MATERNITY: "Thai sản",
    Regime.OCCUPATIONAL: "Tai nạn lao động, bệnh nghề nghiệp",
    Regime.PENSION: "Hưu trí",
    Regime.SURVIVORSHIP: "Tử tuất",
    Regime.LUMP_SUM: "BHXH một lần",
    Regime.UNEMPLOYMENT: "Trợ cấp thất nghiệp",
}

# What a claim's event dates are, per regime: (event_from, event_to); None: the regime has none.
EVENT: dict[Regime, tuple[str | None, str | None]] = {
    Regime.SICKNESS: ("the first day of leave", "the last day of leave"),
    Regime.MATERNITY: ("the first day of leave", "the last day of leave"),
    Regime.OCCUPATIONAL: ("the day of the accident or of the diagnosis", None),
    Regime.PENSION: ("the day the pension starts", None),
    Regime.SURVIVORSHIP: ("the day of death", None),
    Regime.LUMP_SUM: (None, None),
    Regime.UNEMPLOYMENT: ("the day the labour contract ended", None),
}

# Why a one-time withdrawal may be paid (Law 41/2024 Art 70(1) a-f, FACTS §4.2): a claim names
# one. The record checks a and e; b, c, d and f rest on the dossier's papers.
GROUNDS: dict[str, str] = {
    "retirement_age": "a) reached retirement age with under 15 years of SI",
    "emigration": "b) emigrating to settle abroad",
    "illness": "c) cancer, polio, decompensated cirrhosis, severe TB or AIDS",
    "incapacity": "d) at least 81% loss of working capacity or particularly severe disability",
    "before_2025_07": "e) contributed before 1 July 2025, then 12 months outside SI, with under "
                      "20 years paid",
    "armed_forces": "f) leaving the armed forces, not continuing SI, without a pension",
}

# Employment Law 74/2025 (FACTS §4.6): 3 months for 12-36 months paid, one more per 12, max 12.
UI_MONTHS = range(3, 13)
LEAVE_REGIMES = (Regime.SICKNESS, Regime.MATERNITY)
# Regimes of another that pay for the same day, so one claim's days may not meet the other's:
# a day of maternity leave is paid by maternity, not as sick leave (FACTS §4.3, §4.4: each pays
# the day of leave on its own salary base), and the sickness regime pays for an illness or an
# accident that is not a work accident (Law 41/2024 Art 42(1)), so a sick leave over the day of
# an accident or diagnosis claimed as occupational is the same event. A maternity leave and an
# occupational claim are allowed together: work-accident benefits pay for the working capacity
# lost (a lump sum or a monthly allowance, FACTS §4.5), not for days of leave.
ONE_A_DAY = (frozenset((Regime.SICKNESS, Regime.MATERNITY)),
             frozenset((Regime.SICKNESS, Regime.OCCUPATIONAL)))


def same_days_clash(a: Regime, b: Regime) -> bool:
    """Whether claims of regimes ``a`` and ``b`` over the same days pay a day twice: two claims
    of one regime always (one event is paid once), two of ``ONE_A_DAY`` too."""
    return a is b or frozenset((a, b)) in ONE_A_DAY
SETTLED, REFUSED = "settled", "refused"
OUTCOMES = (SETTLED, REFUSED)
# A dossier's receipt number ("2026.0001234", "HS-000123"): it names the claim in a URL path,
# so no "/". A decision's number as the agency writes it: "123/QĐ-BHXH".
DOSSIER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.-]{0,39}$")
NUMBER_MAX = 40
NOTE_MAX, REASON_MAX = 200, 300
MAX_AMOUNT = 10**13  # VND: far above any benefit, below what a BIGINT holds
MAX_MONTHS, MAX_DAYS = 1200, 366
# A pension is claimed before it starts, but not years before; a maternity leave is at most a
# year (6 months a child, FACTS §4.4).
PENSION_LEAD_DAYS, LEAVE_MAX_DAYS = 366, 366
HAZARDOUS_YEARS_MAX = 60  # a working life


@dataclass(frozen=True)
class Claim:
    regime: Regime
    dossier_no: str
    received_on: date
    event_from: date | None = None
    event_to: date | None = None
    note: str | None = None
    ground: str | None = None  # one-time withdrawal only: a key of GROUNDS
    # A pension before the statutory age (Law 41/2024 Art 65): the medical board's assessed
    # loss of working capacity, in percent, and the years in especially heavy or hazardous jobs.
    capacity_loss_percent: int | None = None
    hazardous_years: int | None = None
    # A mother's maternity leave after leave for infertility treatment (FACTS §4.4): her 6
    # months of contributions are looked for in the 24 months before the birth, not 12.
    infertility_treatment: bool = False
    # An occupational claim (``occupational_facts``): a work accident or a disease; a disease's
    # code (Circular 15/2016/TT-BYT appendix), form, and the last month of exposure.
    occupational_kind: str | None = None
    disease_code: int | None = None
    disease_form: str | None = None
    exposure_ended: Period | None = None


@dataclass(frozen=True)
class Decision:
    outcome: str  # settled | refused
    decided_on: date
    decision_no: str
    amount: int | None = None  # paid once
    monthly_amount: int | None = None  # paid each month from ``from_month``
    from_month: Period | None = None
    months: int | None = None  # how many months a monthly benefit lasts (unemployment: 3-12)
    days: int | None = None  # days of leave paid (sickness, maternity)
    reason: str | None = None  # why it was refused
    # Worked out when decided, not given: the SI months a one-time withdrawal pays out, or the
    # UI months an unemployment benefit uses up. The book counts neither again.
    months_settled: int = 0
    # A settled pension's revalued average salary as its dossier establishes it (salary before
    # the system's records, a court's or inspection's correction): its amounts are checked
    # against the record's rate times this, not the book's average (None: the book's).
    average_salary: int | None = None



def pension_first_month(from_month: Period | None, event_from: date | None) -> Period | None:
    """A pension's first month: the one its decision pays from when it states one (never before
    the claim's, ``check_decision``: a decision may start it later, once the employer's
    termination is recorded), else the claim's start. The one month the voluntary period ends
    before, the left-work check looks at and a declaration's pensioner check starts from."""
    if from_month is not None:
        return from_month
    return None if event_from is None else Period.of(event_from)

@dataclass(frozen=True)
class Benefit:
    claim: Claim
    decision: Decision | None = None

    @property
    def status(self) -> str:
        return "claimed" if self.decision is None else self.decision.outcome


def check_claim(c: Claim, today: date) -> list[Problem]:
    """Every reason the claim cannot be received, by field."""
    out: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        out.append(Problem(field=field, reason=reason))

    if not DOSSIER.fullmatch(c.dossier_no):  # match() would let "$" pass a final newline
        bad("dossier_no", "1 to 40 ASCII letters, digits, '.' or '-', starting with a letter "
                          f"or digit; got {clipped(c.dossier_no)!r}")
    if c.received_on > today:
        bad("received_on", f"{c.received_on.isoformat()} is after today")
    starts, ends = EVENT[c.regime]
    for field, given, meaning in (("event_from", c.event_from, starts),
                                  ("event_to", c.event_to, ends)):
        if meaning is not None and given is None:
            bad(field, f"a {c.regime} claim needs {meaning}")
        elif meaning is None and given is not None:
            bad(field, f"a {c.regime} claim takes no {field}")
    if c.regime is Regime.LUMP_SUM and c.ground not in GROUNDS:
        named = "none was given" if c.ground is None else f"got {clipped(c.ground)!r}"
        bad("ground", f"a one-time withdrawal names its ground (Law 41/2024 Art 70): one of "
                      f"{', '.join(GROUNDS)}; {named}")
    elif c.regime is not Regime.LUMP_SUM and c.ground is not None:
        bad("ground", f"only a one-time withdrawal names a ground, not a {c.regime} claim")
    _early_pension_facts(c, bad)
    if c.infertility_treatment and c.regime is not Regime.MATERNITY:
        bad("infertility_treatment", f"only a maternity claim follows infertility treatment, "
                                     f"not a {c.regime} claim")
    occupational_facts.check(c, bad)
    if c.event_from and c.event_to and c.event_to < c.event_from:
        bad("event_to", f"{c.event_to.isoformat()} is before event_from "
                        f"{c.event_from.isoformat()}")
    # A pension is claimed before it starts; every other claim is for what has happened.
    if c.event_from and c.regime is not Regime.PENSION and c.event_from > c.received_on:
        bad("event_from", f"{c.event_from.isoformat()} is after the claim was received "
                          f"({c.received_on.isoformat()})")
    if (c.regime is Regime.PENSION and c.event_from
            and (c.event_from - c.received_on).days > PENSION_LEAD_DAYS):
        bad("event_from", f"a pension is claimed at most a year before it starts; "
                          f"{c.event_from.isoformat()} is more")
    if c.regime is Regime.SICKNESS and c.event_to and c.event_to > c.received_on:
        bad("event_to", f"sick leave is claimed once taken; {c.event_to.isoformat()} is after "
                        f"the claim was received ({c.received_on.isoformat()})")
    if (c.regime is Regime.MATERNITY and c.event_from and c.event_to
            and (c.event_to - c.event_from).days >= LEAVE_MAX_DAYS):
        bad("event_to", "a maternity leave lasts at most a year")
    note = text_problem(c.note, NOTE_MAX)  # PostgreSQL refuses a NUL: refused here, by field
    if note:
        bad("note", note)
    return out


def _early_pension_facts(c: Claim, bad: Callable[[str, str], None]) -> None:
    """A pension claim may give the capacity loss (and the hazardous-job years) that allow it to
    start before the statutory age; no other claim gives them."""
    loss, years = c.capacity_loss_percent, c.hazardous_years
    if c.regime is not Regime.PENSION:
        for field, value in (("capacity_loss_percent", loss), ("hazardous_years", years)):
            if value is not None:
                bad(field, f"only a pension claim gives {field}, not a {c.regime} claim")
        return
    if loss is not None and not 0 < loss <= 100:
        bad("capacity_loss_percent", f"a percent from 1 to 100, got {loss}")
    if years is not None and loss is None:
        bad("hazardous_years", "years in hazardous jobs count with an assessed loss of working "
                               "capacity only (Law 41/2024 Art 65(1)(c)): give "
                               "capacity_loss_percent too")
    elif years is not None and not 0 < years <= HAZARDOUS_YEARS_MAX:
        bad("hazardous_years", f"from 1 to {HAZARDOUS_YEARS_MAX}, got {years}")


def check_decision(c: Claim, d: Decision, today: date) -> list[Problem]:
    """Every reason the decision cannot settle or refuse the claim, by field."""
    out: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        out.append(Problem(field=field, reason=reason))

    if d.outcome not in OUTCOMES:
        bad("outcome", f"one of {', '.join(OUTCOMES)}; got {clipped(d.outcome)!r}")
        return out
    if not decision_number_ok(d.decision_no):
        bad("decision_no", "1 to 40 letters, digits, '.', '/' or '-', starting with a letter "
                           f"or digit; got {clipped(d.decision_no)!r}")
    if d.decided_on < c.received_on:
        bad("decided_on", f"{d.decided_on.isoformat()} is before the claim was received "
                          f"({c.received_on.isoformat()})")
    if d.decided_on > today:
        bad("decided_on", f"{d.decided_on.isoformat()} is after today")
    paid = {"amount": d.amount, "monthly_amount": d.monthly_amount, "from_month": d.from_month,
            "months": d.months, "days": d.days}
    if d.average_salary is not None and c.regime is not Regime.PENSION:
        bad("average_salary", f"only a pension decision states the average salary its amounts "
                              f"rest on, not a {c.regime} one")
    elif d.average_salary is not None and d.outcome == REFUSED:
        bad("average_salary", "a refusal pays nothing, so rests on no average salary")
    if d.outcome == REFUSED:
        if not (d.reason or "").strip():
            bad("reason", "a refusal must say why (FACTS §7.2: no refusal without a reason)")
        elif reason := text_problem(d.reason, REASON_MAX):
            bad("reason", reason)
        for field, value in paid.items():
            if value is not None:
                bad(field, "a refusal pays nothing")
        return out
    if d.reason is not None:
        bad("reason", "only a refusal gives a reason")
    for field, value, most in (("amount", d.amount, MAX_AMOUNT),
                               ("monthly_amount", d.monthly_amount, MAX_AMOUNT),
                               ("average_salary", d.average_salary, PLAUSIBLE_MAX_VND),
                               ("days", d.days, MAX_DAYS), ("months", d.months, MAX_MONTHS)):
        if value is not None and not 0 < value <= most:
            bad(field, f"must be from 1 to {most:,}, got {value:,}")
    _settles(c, d, bad)
    return out


def decision_number_ok(text: str) -> bool:
    """Letters of any script (Đ of "QĐ"), ASCII digits only (another script's digits are no
    number an agency writes), '.', '/' and '-'; a letter or digit first."""
    def plain(ch: str) -> bool:
        return ch.isalpha() or "0" <= ch <= "9"
    return (0 < len(text) <= NUMBER_MAX and plain(text[0])
            and all(plain(ch) or ch in "./-" for ch in text))


def _settles(c: Claim, d: Decision, bad: Callable[[str, str], None]) -> None:
    """What a settlement of each regime must say."""
    r = c.regime
    if d.monthly_amount is None and (d.from_month is not None or d.months is not None):
        bad("monthly_amount", "from_month and months are those of a monthly benefit")
    if d.monthly_amount is not None and d.from_month is None:
        bad("from_month", "a monthly benefit needs the month it is first paid for")
    if d.days is not None and r not in LEAVE_REGIMES:
        bad("days", f"days of leave are paid by sickness and maternity, not {r}")
    if r in LEAVE_REGIMES:
        if r is Regime.SICKNESS and d.days is None:
            bad("days", "a sickness benefit pays days of leave: how many")
        if d.amount is None:
            bad("amount", f"a {r} benefit is paid once: how much")
        if d.monthly_amount is not None:
            bad("monthly_amount", f"a {r} benefit is not paid monthly")
        if d.days and c.event_from and c.event_to:
            span = (c.event_to - c.event_from).days + 1
            if d.days > span:
                bad("days", f"{d.days} days paid for a leave of {span} days "
                            f"({c.event_from.isoformat()} to {c.event_to.isoformat()})")
    elif r is Regime.LUMP_SUM:
        if d.amount is None:
            bad("amount", "a one-time withdrawal is paid once: how much")
        if d.monthly_amount is not None:
            bad("monthly_amount", "a one-time withdrawal is not paid monthly")
    elif r in (Regime.PENSION, Regime.UNEMPLOYMENT):
        if d.monthly_amount is None:
            bad("monthly_amount", f"a {r} benefit is paid monthly: how much")
        if r is Regime.UNEMPLOYMENT and (d.months is None or d.months not in UI_MONTHS):
            bad("months", "an unemployment benefit lasts 3 to 12 months (Employment Law "
                          f"74/2025: 3 for 12-36 months paid, one more per 12); got {d.months}")
    elif d.amount is None and d.monthly_amount is None:  # occupational, survivorship
        bad("amount", f"a {r} benefit pays a lump sum (amount), a monthly allowance "
                      "(monthly_amount and from_month), or both")
    if (d.from_month is not None and c.event_from is not None
            and d.from_month < Period.of(c.event_from)):
        bad("from_month", f"{d.from_month} is before the claim's event "
                          f"({c.event_from.isoformat()})")


def entry(b: Benefit) -> dict[str, Any]:
    """The benefit as the book shows it: ints and strings only, absent fields left out."""
    c, d = b.claim, b.decision
    out: dict[str, Any] = {"regime": str(c.regime), "dossier_no": c.dossier_no,
                           "received_on": c.received_on.isoformat(), "status": b.status}
    optional: dict[str, Any] = {
        "event_from": c.event_from and c.event_from.isoformat(),
        "event_to": c.event_to and c.event_to.isoformat(), "note": c.note,
        "ground": c.ground, "capacity_loss_percent": c.capacity_loss_percent,
        "hazardous_years": c.hazardous_years,
        "infertility_treatment": c.infertility_treatment or None,
        **occupational_facts.entry(c)}
    if d is not None:
        optional |= {"decided_on": d.decided_on.isoformat(), "decision_no": d.decision_no,
                     "amount": d.amount, "monthly_amount": d.monthly_amount,
                     "from_month": d.from_month and str(d.from_month), "months": d.months,
                     "days": d.days, "reason": d.reason,
                     "months_settled": d.months_settled or None,
                     "average_salary": d.average_salary}
    return out | {k: v for k, v in optional.items() if v is not None}


def months_settled(benefits: Iterable[Benefit], regime: Regime) -> int:
    """Months no longer counted: SI months paid out by one-time withdrawals (``LUMP_SUM``), UI
    months used by unemployment benefits (``UNEMPLOYMENT``)."""
    return sum(b.decision.months_settled for b in benefits
               if b.claim.regime is regime and b.decision and b.decision.outcome == SETTLED)


def ui_months_used(contributed: int, benefit_months: int) -> int:
    """UI months an unemployment benefit of ``benefit_months`` uses: 12 a month of benefit,
    never more than were paid; the rest stay reserved for the next claim (FACTS §4.6)."""
    return min(contributed, 12 * benefit_months)
