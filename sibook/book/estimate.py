"""A benefit estimate from a book version: what the person would get if they retired, or
withdrew their SI at once, in the book's month, by the rules engine's formulas (FACTS §4.1,
§4.2). Pure: the book's payload in, a JSON-ready answer out.

An estimate, never a decision: the salary history is the book's (months not paid in full left
out, voluntary income as declared), capped at 20 times the reference level where the law tables
reach (from 2020), averaged by who set the pay (Law 41/2024 Art 72, Law 58/2014 Art 62: the
months of sheet rows marked ``state_scale`` over the window for the year SI started, the others
over the whole period, both kinds together by ``rules.averaging``'s formula), revalued by the
coefficients of the settlement year (the estimate's own; a pension claimed that has started by
then, its start's: a year's table is for the benefits that start in it, Circular
01/2025/TT-BLDTBXH Art 1), or of the latest year the law tables hold when that year's are not
yet published (the answer says which; the salaries of the years after it then count at face
value); a year the tables skip (2016-2023, whose circulars are not loaded) gives no average, and
``pension_note`` says so. ``average_rule`` says which of those rules took the book's average.
The retirement age is judged from the book's header (Decree 135/2020: the date, whether it is
reached in the book's month, and the first month a pension could be paid: after the age is
reached, never before next month, and for someone still employed not before they leave work,
which ``note`` then says, ``awaits_leaving_work``); the pension's rate counts the months the
book holds now. A pension the book shows claimed (not refused) is estimated from the month it
was claimed from: before the statutory age (an early retirement for reduced working capacity
the claim was received for, Law 41/2024 Art 65) its rate is cut per year early (Art 66(3));
months paid after the retirement age was reached by someone who had the years a pension needs
by then earn the larger extra lump sum of Art 68(2) (``pension_from``, which a pension's
settlement checks its monthly amount and extra lump sum by); a settled one whose decision
states the average salary its dossier established is estimated on that average, the one it is
paid on (``average_salary_note`` says so); and no one-time withdrawal is offered beside it (one is
refused to someone who receives or has claimed a pension, Art 70). The grounds for a one-time
withdrawal rest on the dossier's papers and are not judged here. The book's months of SI are
calendar months (a month paid at two employers counts once), and so are those before 2014 a
withdrawal counts; months an earlier withdrawal paid out (the earliest) count no more, in the
average salary either.

The months of the average salary are calendar months too: a month two sheet rows pay is one
month of it, at the salary of the one SI is paid under. A worker with labour contracts at
several employers pays compulsory SI under the contract signed first only, or under the one
that takes effect next while it is suspended without SI (Law 41/2024 Art 2(5)(a);
provisional, as reported by Lao Động, the law's text and Decree 158/2025 not seen on it:
news.laodong.vn/xa-hoi/dong-bhxh-bhyt-khi-ky-nhieu-hop-dong-lao-dong-1683474.ldo,
news.laodong.vn/cong-doan/cach-dong-bhxh-bat-buoc-khi-nguoi-lao-dong-lam-viec-cung-luc-nhieu-cong-ty-1590624.ldo),
and voluntary SI is for those outside compulsory SI (Art 2(4)(a)). The average is of the
salaries SI was paid on (Art 72, FACTS §4.1), so a second contract's salary is neither added
to the first's nor averaged beside it. The book knows contracts by their rows: the one that
began first is the employer whose unbroken rows began earliest among those that paid the
month (the contract signed first but owing the month leaves it to the one that paid it, as
the months count).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from sibook import law
from sibook.benefits.domain import pension_first_month
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.rules.averaging import AverageRule, average_salary
from sibook.rules.explain import Explanation
from sibook.rules.lump_sum import LumpSumResult, one_time_withdrawal
from sibook.rules.pension import PensionResult, months_past_retirement_age, pension
from sibook.rules.retirement import RetirementResult, retirement_age

LAW_2014 = Period(2014, 1)  # the lump sum's rate changes for months from 2014 (FACTS §4.2)
_YEARS_BACK = 5  # how far back the latest published revaluation table is looked for
T = TypeVar("T")
# The estimate's ``note`` for a pension that waits for its worker to leave work.
LEAVING_WORK = (" An SI period with an employer is still running: the pension starts the month "
                "after you leave work, once the employer files the decrease (GH), not in "
                "{first} while you work (Law 41/2024 Art 64(1), 'khi nghỉ việc').")


@dataclass(frozen=True)
class Shortfall:
    """Why the estimate has no pension, or a pension without an amount: the rules' refusal
    itself and the month the pension would start. ``pension_note`` is its English reason (the
    JSON's, a contract); an edge that speaks another language words it by the refusal's kind
    (its law table, or the field refused), not by parsing that sentence."""

    refusal: ValidationError
    starts: Period


def estimate(book: dict[str, Any], on: Period) -> dict[str, Any]:
    """The estimate for ``book`` (a version's payload) as of month ``on``."""
    return estimate_with_shortfall(book, on)[0]


def estimate_with_shortfall(book: dict[str, Any], on: Period,
                            ) -> tuple[dict[str, Any], Shortfall | None]:
    """``estimate``, with why there is no pension or no amount (None: nothing is missing)."""
    si_months = int(book["totals"]["si_months"])
    history = _counted(book, _paid(book, on))
    claimed = _pension_claim(book)
    stated = _stated_average(claimed)
    retirement = _retirement(book["header"])
    reached = retirement is None or retirement.reached <= on
    # Retiring now, the pension is paid from next month; else from the month after the age.
    first = on + 1 if retirement is None or reached else retirement.pension_from
    if claimed is not None:  # its decision's first month once settled, else the claim's
        first = _first_month(claimed)
    # A claimed pension's average is its own (revalued for its start); else this month's.
    mean = _Average(stated, None) if stated is not None else _average(
        history, first if claimed is not None else on, on)
    average = mean.amount
    before = _before_2014(history, si_months)
    answer: dict[str, Any] = {
        "as_of": str(on), "si_months": si_months, "average_salary": average,
        "revalued_for": mean.revalued_for,
        "average_salary_note": None if stated is None or claimed is None else (
            f"the average salary pension decision {claimed['decision_no']} (dossier "
            f"{claimed['dossier_no']}) states, the one its pension is paid on, not the book's"),
        "average_rule": None if mean.rule is None else mean.rule.as_dict(),
        "retirement_date": None if retirement is None else retirement.retirement_date.isoformat(),
        "reached_retirement_age": reached,
        "pension": None, "pension_note": None, "one_time_withdrawal": None,
        "one_time_withdrawal_note": None,
        "note": ("An estimate from the book as of this month by the law's formulas; the SI "
                 "office's decision, on the full dossier, is what is paid."),
    }
    shortfall: Shortfall | None = None
    try:
        answer["pension"] = pension_from(book, on, first, average_salary=stated).as_dict() | {
            "from_month": str(first)}
        answer["pension_note"] = mean.missing
        if mean.refusal is not None:
            shortfall = Shortfall(mean.refusal, first)
    except ValidationError as exc:
        answer["pension_note"] = exc.problems[0].reason
        shortfall = Shortfall(exc, first)
    if awaits_leaving_work(book, answer):
        answer["note"] += LEAVING_WORK.format(first=first)
    if claimed is not None:
        state = "settles" if claimed["status"] == "settled" else "claims"
        answer["one_time_withdrawal_note"] = (
            f"dossier {claimed['dossier_no']} {state} a pension: a one-time withdrawal is not "
            "paid to someone who receives (or has claimed) one (Law 41/2024 Art 70)")
    elif average is not None and si_months > 0:
        withdrawal = _withdrawal(before, si_months - before, average, on)
        answer["one_time_withdrawal"] = None if withdrawal is None else withdrawal.amount
    return answer, shortfall


def awaits_leaving_work(book: dict[str, Any], answer: dict[str, Any]) -> bool:
    """Whether ``answer``'s pension (``estimate``'s, of ``book``) waits for the person to leave
    work: not claimed, its first month next month (the age reached), while an employer's SI
    period still runs (a sheet row without an end, not voluntary): a claim is refused until
    the employer files the decrease (``benefits.left_work``, Law 41/2024 Art 64(1))."""
    return (answer["pension"] is not None and answer["reached_retirement_age"]
            and _pension_claim(book) is None
            and any(r["to"] is None and r["kind"] != "voluntary" for r in book.get("sheets", [])))


def pension_from(book: dict[str, Any], on: Period, starts: Period, *,
                 average_salary: int | None = None) -> PensionResult:
    """The pension the law's formulas give on ``book`` as of month ``on`` for a pension from
    ``starts`` (the settlement of a pension checks its monthly amount and extra lump sum by it
    too): the months the book counts, the revalued average salary, the rate cut per year
    before the statutory age (Art 66(3)), and the months paid past the age by someone already
    eligible then, which earn the larger extra lump sum (Art 68(2),
    ``months_past_retirement_age``). Raises
    ValidationError when the months give no pension or no rule prices it. The pension's rules
    are those in force in the month it starts (Law 41/2024 Art 5(7): one started in 2023 is
    priced by Law 58/2014), whenever it is asked, and so are its salary averaging window and
    revaluation coefficients (those for its start's year once it has started by ``on``; see
    ``revaluation_year``); the salary history is the book's as of ``on``. ``average_salary``: a
    decision's own (its dossier's), used instead of the book's."""
    si_months = int(book["totals"]["si_months"])
    history = _paid(book, on)
    mean = _Average(average_salary, None) if average_salary is not None else _average(
        _counted(book, history), starts, on)
    retirement = _retirement(book["header"])
    early = 0 if retirement is None else max(0, retirement.pension_from - starts)
    late = 0 if retirement is None or early else min(si_months, months_past_retirement_age(
        paid=(m for m, _, _ in history), reached=retirement.reached,
        starts=starts, on=starts,
        paid_out=int(book["totals"].get("si_months_paid_out", 0))))
    result = pension(sex=book["header"]["sex"], contribution_months=si_months, on=starts,
                     months_early=early, average_salary=mean.amount,
                     months_past_retirement_age=late,
                     voluntary_months=si_months - compulsory_months(book, on))
    if mean.explanation is None:
        return result
    # The average's own steps and rows first: the pension's explanation says how it was taken.
    why, how = result.explanation, mean.explanation
    return replace(result, explanation=Explanation(
        inputs=why.inputs, steps=how.steps + why.steps,
        rows=how.rows + tuple(r for r in why.rows if r not in how.rows)))


def _pension_claim(book: dict[str, Any]) -> dict[str, Any] | None:
    """The book's first pension claim not refused (settled, or being decided), with its start:
    a person retires once."""
    return next((b for b in book.get("benefits", []) if b["regime"] == "pension"
                 and b["status"] != "refused" and b.get("event_from")), None)


def _first_month(claimed: dict[str, Any]) -> Period:
    """A claimed pension's first month as its settlement takes it (``pension_first_month``)."""
    stated = claimed.get("from_month")
    first = pension_first_month(None if stated is None else Period.parse(stated),
                                date.fromisoformat(claimed["event_from"]))
    assert first is not None  # the claim has a start (``_pension_claim``)
    return first


def _stated_average(claimed: dict[str, Any] | None) -> int | None:
    """The average salary a settled pension's decision states (its dossier's: salary before
    the system's records, a correction), which its pension is paid on; None when it states
    none (books recorded before migration 0019 have none)."""
    if claimed is None or claimed["status"] != "settled":
        return None
    stated = claimed.get("average_salary")
    return None if stated is None else int(stated)


def _retirement(header: dict[str, Any]) -> RetirementResult | None:
    """The person's retirement age and date; None when it was reached before the law tables
    begin (long retired)."""
    try:
        return retirement_age(sex=header["sex"], birth_date=date.fromisoformat(
            header["birth_date"]))
    except law.NoRuleInForce:
        return None


def salary_history(book: dict[str, Any], on: Period) -> list[tuple[Period, int]]:
    """(month, salary basis) of every month the book counts, to ``on``, once each and in
    order: the sheets' months, less those not paid in full (the employer's arrears, voluntary
    months owed). A month two rows pay counts at one row's salary: a compulsory row's before
    a voluntary one's, of two employers' the contract that began first (``_contract_starts``),
    then the row listed first."""
    return [(month, basis) for month, basis, _ in _paid(book, on)]


def compulsory_months(book: dict[str, Any], on: Period) -> int:
    """Of the months the book counts on ``on`` (``si_months``), those compulsory SI paid: a
    month some row not voluntary pays (compulsory, foreign, a maternity leave's, Law 41/2024
    Art 53(8)). An early pension needs 20 years of them (Art 65(1): "thời gian đóng bảo hiểm xã
    hội bắt buộc từ đủ 20 năm"; Art 111(1)(a): with fewer, the voluntary scheme's pension, at
    the statutory age only, Art 98)."""
    return sum(not voluntary for *_, voluntary in _counted(book, _kinds_paid(book, on)))


def _paid(book: dict[str, Any], on: Period) -> list[tuple[Period, int, bool]]:
    """``salary_history``'s months, each saying whether the row it was counted at paid it by
    the state's salary scale (the row's ``state_scale``)."""
    return [(month, basis, state) for month, basis, state, _ in _kinds_paid(book, on)]


def _kinds_paid(book: dict[str, Any], on: Period) -> list[tuple[Period, int, bool, bool]]:
    """``_paid``, each month saying too whether only voluntary SI paid it (a month paid both
    ways is counted at its compulsory row)."""
    unpaid = {(a["employer_code"], a["month"]) for a in book.get("arrears", [])}
    rows = book.get("sheets", [])
    chosen: dict[int, tuple[tuple[bool, int, int], int, bool]] = {}  # month: (rank, basis, ..)
    for order, (row, began) in enumerate(zip(rows, _contract_starts(rows), strict=True)):
        owed = {u["month"] for u in row.get("unpaid") or []}
        first = Period.parse(row["from"])
        last = min(Period.parse(row["to"]), on) if row["to"] else on
        rank = (row["kind"] == "voluntary", began, order)
        basis = int(row["salary_basis"]) + int(row["allowances"])
        state = bool(row.get("state_scale"))
        for index in range(first.index, last.index + 1):
            text = str(Period.from_index(index))
            if text in owed or (row["employer_code"], text) in unpaid:
                continue
            if index not in chosen or rank < chosen[index][0]:
                chosen[index] = (rank, basis, state)
    out = []
    for index, ((voluntary, *_), basis, state) in sorted(chosen.items()):
        month = Period.from_index(index)
        out.append((month, min(basis, _cap(month) or basis), state, voluntary))
    return out


def _contract_starts(rows: list[dict[str, Any]]) -> list[int]:
    """For each sheet row, the month index its employer's unbroken run of rows began: when the
    contract began, as far as the book shows (a raise starts a new row, not a new contract)."""
    starts = [0] * len(rows)
    runs: dict[tuple[str | None, int], int] = {}  # (employer, the month after a row): began
    for i in sorted(range(len(rows)), key=lambda i: Period.parse(rows[i]["from"]).index):
        row = rows[i]
        first = Period.parse(row["from"]).index
        starts[i] = runs.pop((row["employer_code"], first), first)
        if row["to"]:
            runs[(row["employer_code"], Period.parse(row["to"]).index + 1)] = starts[i]
    return starts


def _counted(book: dict[str, Any], history: list[T]) -> list[T]:
    """The months of ``history`` the book still counts: not the earliest ones a one-time
    withdrawal paid out (``si_months_paid_out``), which count towards no benefit again, so
    neither their salaries in an average nor their years before 2014 in a withdrawal."""
    return history[int(book["totals"].get("si_months_paid_out", 0)):]


def _cap(month: Period) -> int | None:
    """The SI basis cap in ``month``; None before the law tables or where no cap was set."""
    try:
        return law.book().si_hi_cap(month).amount
    except law.NoRuleInForce:
        return None


@dataclass(frozen=True)
class _Average:
    """A revalued average salary and the year whose coefficients it used; ``refusal`` is why
    there is none when the law tables cannot give one."""

    amount: int | None
    revalued_for: int | None
    refusal: law.NoRuleInForce | None = None
    explanation: Explanation | None = None  # how the rules engine averaged (None: it did not)
    rule: AverageRule | None = None  # which of Art 72's rules it took (None: it did not)

    @property
    def missing(self) -> str | None:
        """Why there is no average, in the estimate's English (its ``pension_note``)."""
        return None if self.refusal is None else (
            f"no average salary is estimated: {self.refusal.problems[0].reason}")


def _average(history: list[tuple[Period, int, bool]], starts: Period, on: Period) -> _Average:
    """The revalued average salary of a benefit starting in ``starts``, asked in ``on``, by the
    rules in force at its start: the months the employer set the pay of over the whole period,
    those on the state's salary scale over its window (``average_salary``), revalued as
    ``revaluation_year`` says."""
    if not history:
        return _Average(None, None)
    started = min(m for m, _, _ in history).year
    try:
        year = revaluation_year(starts, on)
        # Salaries paid after the table's year count at face value (its own year's are 1.00).
        clamped = [(m if m.year <= year else Period(year, m.month), pay, state)
                   for m, pay, state in history]
        result = average_salary(
            history=[(m, pay) for m, pay, state in clamped if not state],
            state_history=[(m, pay) for m, pay, state in clamped if state],
            started=started, settlement=starts, revalued_for=year)
    except law.NoRuleInForce as exc:
        return _Average(None, None, exc)
    return _Average(result.average, year, explanation=result.explanation, rule=result.rule)


def revaluation_year(starts: Period, on: Period) -> int:
    """The year whose revaluation coefficients revalue the salaries of a benefit starting in
    ``starts``, asked in month ``on``: its start's year (a year's table is for the benefits
    that start in it: Circular 01/2025/TT-BLDTBXH Art 1; Law 41/2024 Art 73, Decree 158/2025
    Art 16), or ``on``'s for one starting in a later year, whose table ``on`` cannot know yet.
    A year after the last table loaded, not yet published, takes that table when it is at most
    ``_YEARS_BACK`` years older. A year the tables skip (2016-2023: MoLISA's circulars for them
    are not loaded) or end too long before stays itself, which ``average_salary`` refuses
    naming it, rather than being revalued by another year's coefficients."""
    year = min(starts.year, on.year)
    loaded = law.book().revaluation_years()
    if year in loaded or not loaded or year < loaded[-1] or year - loaded[-1] > _YEARS_BACK:
        return year  # average_salary refuses a year without a table, naming it
    return loaded[-1]


def withdrawal_on(book: dict[str, Any], on: Period) -> LumpSumResult | None:
    """The one-time withdrawal the law's formulas give on ``book`` in month ``on``, as the
    estimate offers it (a withdrawal's settlement checks its amount by it): the months the book
    counts, those of them before 2014, the book's average salary revalued for ``on``. None when
    the book gives no average salary or no months, or no rule prices it."""
    si_months = int(book["totals"]["si_months"])
    history = _counted(book, _paid(book, on))
    average = _average(history, on, on).amount
    if average is None or si_months <= 0:
        return None
    before = _before_2014(history, si_months)
    return _withdrawal(before, si_months - before, average, on)


def _before_2014(history: list[tuple[Period, int, bool]], si_months: int) -> int:
    """Of the ``si_months`` counted, the calendar months before 2014 (FACTS §4.2)."""
    return min(len({m for m, _, _ in history if m < LAW_2014}), si_months)


def _withdrawal(before: int, since: int, average: int, on: Period) -> LumpSumResult | None:
    try:
        return one_time_withdrawal(months_before_2014=before, months_from_2014=since,
                                   average_salary=average, on=on)
    except ValidationError:  # no rules for the month, or no months
        return None
