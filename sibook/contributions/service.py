"""Use cases over participation periods and the ledger, for other parts (registry, book, api)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook import law
from sibook.contributions.cycles import MONTHLY, cycles_of
from sibook.contributions.ledger_store import LedgerEntry, PaymentAllocation, VoluntaryPayment
from sibook.contributions.statement import EmployerMonth, Status, deadline_of, employer_months
from sibook.contributions.store import SIPeriod, UIPeriod, UIReserve
from sibook.contributions.voluntary import VOLUNTARY_START_AHEAD, Payment, ended_at
from sibook.core.bulk import fetch
from sibook.core.errors import ValidationError
from sibook.core.period import Period
from sibook.law.tables import NoRuleInForce
from sibook.rules import compulsory_dues, voluntary_dues


def covering(month: Period, periods: Table | None = None) -> ColumnElement[bool]:
    """SI periods (of ``periods``, default ``si_periods``) that include ``month``: a worker
    whose leaving is filed ahead (a decrease from next month, as FACTS §6.3 advises) still
    works there this month, and one taken on from next month does not yet."""
    c = (SIPeriod.__table__ if periods is None else periods).c
    return (c.from_month <= month.index) & (c.to_month.is_(None) | (c.to_month >= month.index))


def current_worker_ids(*, employer_id: int, month: Period) -> Select[tuple[int]]:
    """Subquery of the persons who work for ``employer_id`` in ``month``."""
    return select(SIPeriod.person_id).where(covering(month), SIPeriod.employer_id == employer_id)


def unit_periods(*, employer_id: int, since: Period
                 ) -> Select[tuple[int, int, int | None]]:
    """The SI periods ``employer_id`` paid that reach ``since`` or later: (person_id,
    from_month, to_month), ``to_month`` None while open."""
    return select(SIPeriod.person_id, SIPeriod.from_month, SIPeriod.to_month).where(
        SIPeriod.employer_id == employer_id,
        SIPeriod.to_month.is_(None) | (SIPeriod.to_month >= since.index))


def units_of(*, person_id: int) -> Select[tuple[int | None]]:
    """Subquery of the units that paid ``person_id``'s SI periods."""
    return select(SIPeriod.employer_id).where(SIPeriod.person_id == person_id,
                                              SIPeriod.employer_id.is_not(None))


def first_insured(*, session: Session, employer_id: int) -> Period | None:
    """The month the unit ``employer_id``'s first worker was insured (the first month of its
    earliest SI period); None while it has had none."""
    first = session.scalar(select(func.min(SIPeriod.from_month))
                           .where(SIPeriod.employer_id == employer_id))
    return None if first is None else Period.from_index(first)


def current_employer_ids(*, session: Session, person_ids: list[int], month: Period
                         ) -> dict[int, int]:
    """Internal id of each person's employer in ``month``, if any."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(SIPeriod.person_id, SIPeriod.employer_id).where(
            SIPeriod.person_id.in_(person_ids), covering(month),
            SIPeriod.employer_id.is_not(None),
        )
    ).all()
    return {r.person_id: r.employer_id for r in rows if r.employer_id is not None}


@dataclass(frozen=True)
class ParticipationRow:
    """One unchanged stretch of SI participation, as a row of the book's sheets."""

    kind: str  # compulsory | foreign | voluntary
    from_month: Period
    to_month: Period | None  # None: still open
    employer_id: int | None
    job_title: str | None
    salary_basis: int
    allowances: int
    occupational_rate_bp: int
    support_group: str | None
    closed_by: str | None = None  # the D02-LT case code that ended it (TS: maternity leave)
    # The month of a GH filed during the leave (OF, TS) that ended it: the leave's months end
    # the month before (``staged_leave``).
    left_from: Period | None = None


@dataclass(frozen=True)
class UIRow:
    from_month: Period
    to_month: Period | None
    employer_id: int
    salary_basis: int


def si_periods_of(*, session: Session, person_id: int) -> list[ParticipationRow]:
    return si_periods_of_many(session=session, person_ids=[person_id]).get(person_id, [])


def ui_periods_of(*, session: Session, person_id: int) -> list[UIRow]:
    return ui_periods_of_many(session=session, person_ids=[person_id]).get(person_id, [])


def ui_reserved_months(*, session: Session, person_id: int) -> int:
    row = session.get(UIReserve, person_id)
    return row.reserved_months if row else 0


@dataclass(frozen=True)
class PersonMonth:
    """One month of a person's compulsory participation, as the ledger knows it."""

    month: Period
    employer_id: int
    basis: int  # salary + allowances
    employer_share: dict[str, int] | None  # None: no law tables for that month
    employee_share: dict[str, int] | None
    status: Status  # reported: the employer's month has not been assessed in the ledger
    employer_due: int | None
    employer_paid: int | None
    overdue: bool = False  # the month's payment deadline has passed
    kind: str = "compulsory"  # or foreign
    # The employer's month's days late (statement.EmployerMonth.days_late); None: reported
    days_late: int | None = None

    @property
    def deducted_not_remitted(self) -> bool:
        """The worker's share was withheld from pay and the employer has not paid the month by
        its deadline (before the deadline an unpaid month is not yet anyone's fault)."""
        return self.overdue and self.status in ("unpaid", "partly_paid")


def person_months(
    *, session: Session, person_id: int, regions: dict[int, str], as_of: date
) -> list[PersonMonth]:
    """Every month of the person's compulsory periods up to ``as_of``, with its ledger status.

    ``regions`` maps employer ids to their minimum-wage region (from the registry).
    """
    conn = session.connection()
    last = Period.of(as_of)
    statements: dict[int, dict[int, EmployerMonth]] = {}
    out: list[PersonMonth] = []
    for row in si_periods_of(session=session, person_id=person_id):
        if row.employer_id is None or row.kind == "voluntary":
            continue
        if row.employer_id not in statements:
            statements[row.employer_id] = {
                m.month.index: m for m in employer_months(conn, row.employer_id, as_of)
            }
        ledger = statements[row.employer_id]
        month, end = row.from_month, min(row.to_month or last, last)
        basis = row.salary_basis + row.allowances
        while month <= end:
            shares = _worker_shares(
                month, basis, regions.get(row.employer_id, "I"), row.occupational_rate_bp, row.kind
            )
            em = ledger.get(month.index)
            out.append(
                PersonMonth(
                    month,
                    row.employer_id,
                    basis,
                    shares[0] if shares else None,
                    shares[1] if shares else None,
                    em.status if em else "reported",
                    em.due if em else None,
                    em.paid if em else None,
                    em is not None and as_of > em.deadline,
                    row.kind,
                    em.days_late if em else None,
                )
            )
            month = month + 1
    return out


@lru_cache(maxsize=65_536)
def _worker_shares(
    month: Period, basis: int, region: str, oa_bp: int, kind: str
) -> tuple[dict[str, int], dict[str, int]] | None:
    try:
        result = compulsory_dues(
            month=month,
            salary=max(basis, 1),
            region=region,
            oa_rate="reduced" if oa_bp == 30 else "standard",
            kind="foreign" if kind == "foreign" else "compulsory",
            check_minimum=False,
        )
    except NoRuleInForce:
        return None
    return result.employer.as_dict(), result.employee.as_dict()


# How far ahead a voluntary start may be asked for: a later one is taken for a typing error.


def open_voluntary_period(
    *, session: Session, person_id: int, month: Period, income: int, support_group: str | None,
    months_supported: int, today: date,
) -> dict[str, object]:
    """Start voluntary SI on ``income`` from ``month``; the person must have no open period.
    It starts no earlier than the month it is asked for in (``today``): each month is paid in
    its own time or ahead (FACTS §3.4, Law 41/2024 Art 36), and missing past years are bought
    only as a lump sum just before retirement age, never by registering back in time.
    ``months_supported``: the months of the state's support the person's earlier voluntary
    periods took (``book.service.voluntary_support_used``); the amount quoted is what the book
    will charge for ``month``, with support only while the law's months of it last."""
    now = Period.of(today)
    if not now <= month <= now + VOLUNTARY_START_AHEAD:
        raise ValidationError(field="voluntary.from_month", reason=(
            f"voluntary SI starts from {now} (this month) to {now + VOLUNTARY_START_AHEAD} at "
            f"the latest; {month} was asked"))
    voluntary_dues(month=month, salary=income, support=support_group,  # checks the range
                   months_supported=months_supported)
    _refuse_if_participating(session, person_id)
    last_seq, last_to = session.execute(
        select(func.max(SIPeriod.seq), func.max(SIPeriod.to_month))
        .where(SIPeriod.person_id == person_id)).one()
    if last_to is not None and last_to >= month.index:
        raise ValidationError(field="voluntary.from_month", reason=(
            f"the person participated until {Period.from_index(last_to)}: voluntary SI starts "
            f"after that"))
    try:
        with session.begin_nested():
            session.add(
                SIPeriod(
                    person_id=person_id,
                    seq=(last_seq or 0) + 1,
                    from_month=month.index,
                    to_month=None,
                    kind="voluntary",
                    employer_id=None,
                    job_title=None,
                    salary_basis=income,
                    allowances=0,
                    occupational_rate_bp=0,
                    support_group=support_group,
                )
            )
    except IntegrityError:
        # An employer's filing numbered the person's next period at the same moment: PostgreSQL
        # made this one wait for it. Refused as it is after that filing.
        _refuse_if_participating(session, person_id)
        raise
    return voluntary_quote(month=month, income=income, support_group=support_group,
                           months_supported=months_supported)


def voluntary_quote(*, month: Period, income: int, support_group: str | None,
                    months_supported: int) -> dict[str, object]:
    """A voluntary period's first month as the book will charge it (``open_voluntary_period``
    answers it, and so does a registration sent again, from the period it opened)."""
    dues = voluntary_dues(month=month, salary=income, support=support_group,
                          months_supported=months_supported)
    return {
        "from_month": str(month),
        "income": income,
        "monthly_payable": dues.employee.total,
        "state_support": dues.state_support,
        "support_months_left": _support_months_left(month, support_group, months_supported),
    }


def _support_months_left(month: Period, support_group: str | None, used: int) -> int:
    """The months from ``month`` on the state's support still lowers what the participant pays
    (the law's limit in force in ``month``, less those used): none for a period recorded
    without a group (opened when naming none meant no support; one naming none is ``other``
    now, ``registration.VoluntaryStart``)."""
    if support_group is None:
        return 0
    return max(0, int(law.parameter("voluntary_support_months", month).value) - used)


def _refuse_if_participating(session: Session, person_id: int) -> None:
    open_row = session.scalars(
        select(SIPeriod).where(SIPeriod.person_id == person_id, SIPeriod.to_month.is_(None))
    ).first()
    if open_row is not None:
        raise ValidationError(
            field="voluntary",
            reason=(
                f"the person already participates ({open_row.kind}) since "
                f"{Period.from_index(open_row.from_month)}"
            ),
        )


def end_voluntary_period(*, session: Session, person_id: int, last: Period | None) -> None:
    """End the person's open voluntary period with month ``last``, in the caller's transaction:
    a pension or a one-time withdrawal was settled for someone who stopped paying (Law 41/2024
    Art 101(2): a voluntary participant stops by not paying, and nothing they file ends the
    period; an employer's increase does, ``case_sql.ENDS_VOLUNTARY``), ``last`` their last
    month paid (``benefits.stopped_paying.end_with``). A period starting after ``last``, or
    with ``last`` None (no month paid), never began: it is removed (the caller has checked
    that none of its months is paid). No D02-LT case code names this end, so ``closed_by``
    stays empty."""
    row = session.scalars(select(SIPeriod).where(
        SIPeriod.person_id == person_id, SIPeriod.kind == "voluntary",
        SIPeriod.to_month.is_(None)).with_for_update()).one_or_none()
    if row is None:
        return
    if (end := ended_at(row.from_month, last)) is None:
        session.delete(row)
    else:
        row.to_month = end
    session.flush()


# Bulk reads for the book's batch issuing: one query per kind of fact for many persons.


def si_periods_of_many(
    *, session: Session, person_ids: list[int]
) -> dict[int, list[ParticipationRow]]:
    """``si_periods_of`` for each of ``person_ids`` (persons without periods are absent)."""
    out: dict[int, list[ParticipationRow]] = {}
    if not person_ids:
        return out
    t = SIPeriod.__table__.c
    rows = fetch(session.connection(), (
        select(t.person_id, t.kind, t.from_month, t.to_month, t.employer_id, t.job_title,
               t.salary_basis, t.allowances, t.occupational_rate_bp, t.support_group,
               t.closed_by, t.left_from)
        .where(t.person_id.in_(person_ids))
        .order_by(t.person_id, t.from_month, t.seq)))
    month = Period.from_index
    for (pid, kind, start, end, employer, job, basis, allowances, oa_bp, group, closed,
         left) in rows:
        out.setdefault(pid, []).append(
            ParticipationRow(kind, month(start), None if end is None else month(end), employer,
                             job, basis, allowances, oa_bp, group, closed,
                             None if left is None else month(left))
        )
    return out


def ui_periods_of_many(*, session: Session, person_ids: list[int]) -> dict[int, list[UIRow]]:
    """``ui_periods_of`` for each of ``person_ids`` (persons without UI periods are absent)."""
    out: dict[int, list[UIRow]] = {}
    if not person_ids:
        return out
    t = UIPeriod.__table__.c
    rows = fetch(session.connection(), (
        select(t.person_id, t.from_month, t.to_month, t.employer_id, t.salary_basis)
        .where(t.person_id.in_(person_ids))
        .order_by(t.person_id, t.from_month, t.seq)))
    month = Period.from_index
    for pid, start, end, employer, basis in rows:
        out.setdefault(pid, []).append(
            UIRow(month(start), None if end is None else month(end), employer, basis)
        )
    return out


def ui_reserved_months_of_many(*, session: Session, person_ids: list[int]) -> dict[int, int]:
    """``ui_reserved_months`` of each of ``person_ids`` that has a reserve."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(UIReserve.person_id, UIReserve.reserved_months).where(
            UIReserve.person_id.in_(person_ids)
        )
    )
    return {r[0]: int(r[1]) for r in rows}


def voluntary_payments_of(*, session: Session, person_id: int) -> list[Payment]:
    return voluntary_payments_of_many(session=session, person_ids=[person_id]).get(person_id, [])


def voluntary_payments_of_many(*, session: Session, person_ids: list[int]
                               ) -> dict[int, list[Payment]]:
    """What each of ``person_ids`` paid for voluntary SI, in the order recorded, in one query
    (persons without payments are absent)."""
    if not person_ids:
        return {}
    t = VoluntaryPayment
    rows = session.execute(
        select(t.person_id, t.payment_no, t.amount, t.reference, t.paid_on)
        .where(t.person_id.in_(person_ids)).order_by(t.person_id, t.payment_no)).all()
    out: dict[int, list[Payment]] = {}
    for pid, number, amount, reference, paid_on in rows:
        out.setdefault(pid, []).append(Payment(number, int(amount), reference, paid_on))
    return out


def unpaid_months(
    *, session: Session, employer_ids: set[int], as_of: date
) -> dict[int, dict[int, tuple[Status, int, int]]]:
    """Per employer, the months the ledger shows not fully paid by ``as_of``, once their
    payment deadline has passed (the arrears a book shows):
    ``{employer_id: {period_index: (status, due, paid)}}``, the same months, statuses and
    amounts as ``statement.employer_months`` (dues summed over entries, payments allocated on or
    before ``as_of``, each by its employer's payment cycle), in two grouped queries for all
    the employers and a third when some month is not paid in full."""
    if not employer_ids:
        return {}
    ids = sorted(employer_ids)
    due_rows = session.execute(
        select(LedgerEntry.employer_id, LedgerEntry.period, func.sum(LedgerEntry.total))
        .where(LedgerEntry.employer_id.in_(ids))
        .group_by(LedgerEntry.employer_id, LedgerEntry.period)
    ).all()
    due = {(r[0], r[1]): int(r[2]) for r in due_rows if int(r[2]) > 0}
    paid_rows = session.execute(
        select(
            PaymentAllocation.employer_id,
            PaymentAllocation.period,
            func.sum(PaymentAllocation.amount),
        )
        .where(PaymentAllocation.employer_id.in_(ids), PaymentAllocation.paid_on <= as_of)
        .group_by(PaymentAllocation.employer_id, PaymentAllocation.period)
    ).all()
    paid = {(r[0], r[1]): int(r[2]) for r in paid_rows}
    owing = {key: (amount, settled) for key, amount in due.items()
             if (settled := paid.get(key, 0)) < amount}
    # Only a month not paid in full needs its deadline: the payment methods are read for the
    # employers owing one, and not at all for most books (all paid, no query).
    cycles = cycles_of(session.connection(), (employer_id for employer_id, _ in owing))
    out: dict[int, dict[int, tuple[Status, int, int]]] = {}
    for (employer_id, period), (amount, settled) in owing.items():
        deadline = deadline_of(Period.from_index(period), cycles.get(employer_id, MONTHLY))
        if deadline < as_of:
            status: Status = "partly_paid" if settled > 0 else "unpaid"
            out.setdefault(employer_id, {})[period] = (status, amount, settled)
    return out
