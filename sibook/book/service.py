"""Use cases of the book register: issue at registration, assemble, keep versions."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

# The module, not its names: batch imports the registry, whose service imports this module,
# so whichever of the two is imported first finds the other half-made.
from sibook.benefits import records as benefit_records
from sibook.book import batch, versions
from sibook.book.assemble import content_hash
from sibook.book.estimate import compulsory_months, pension_from, withdrawal_on
from sibook.book.payload import (
    MonthsPaid,
    PersonInputs,
    employer_ids,
    payload_of,
    si_months_paid,
    ui_months_paid,
)
from sibook.book.sheets import lines_of, supported_months
from sibook.book.store import SIBook
from sibook.book.voluntary_charges import voluntary_account_of
from sibook.contributions import service as contributions
from sibook.contributions.voluntary import COUNTED, Account, Payment
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.rules.lump_sum import LumpSumResult
from sibook.rules.pension import PensionResult


def issue_book(*, session: Session, person_id: int, personal_id: str) -> SIBook:
    """Issue the e-SI book of a person being registered, in the caller's transaction."""
    book = SIBook(person_id=person_id, book_number=personal_id, status="active", version=1)
    session.add(book)
    session.flush()
    return book


def record_first_versions(*, session: Session, person_ids: list[int], as_of: date) -> None:
    """Version 1 of the books just issued, as registration leaves them (in the caller's
    transaction): a later version then shows what changed since, from the start."""
    for start in range(0, len(person_ids), batch.BATCH):
        payloads = batch.assemble_many(session=session, as_of=as_of,
                                       person_ids=person_ids[start:start + batch.BATCH])
        versions.record_many(session=session, payloads=payloads)


def first_version(*, session: Session, person_id: int) -> int:
    return versions.first(session=session, person_id=person_id)


def book_of(*, session: Session, person_id: int) -> SIBook | None:
    return session.get(SIBook, person_id)


def assemble_book(
    *, session: Session, personal_id: str, as_of: date, realm: str = "civil"
) -> dict[str, Any]:
    """The book of the person holding ``personal_id`` in ``realm``, as of ``as_of``."""
    person_id = registry.person_id_of(session=session, personal_id=personal_id, realm=realm)
    return assemble_person(session=session, person_id=person_id, as_of=as_of)


def assemble_person(*, session: Session, person_id: int, as_of: date,
                    ui_through: Period | None = None) -> dict[str, Any]:
    """One person's book, read one fact at a time (``batch.assemble_many`` reads many people's
    at once; both assemble with ``payload.payload_of``, so their books are byte-identical).
    ``ui_through``: only the UI months to that one (a termination's), as paid by ``as_of``."""
    ui_rows = contributions.ui_periods_of(session=session, person_id=person_id)
    if ui_through is not None:
        ui_rows = [replace(u, to_month=ui_through if u.to_month is None
                           else min(u.to_month, ui_through))
                   for u in ui_rows if u.from_month <= ui_through]
    person = _person_inputs(session, person_id, ui_rows)
    known = _employers_of(session, person, as_of)
    return payload_of(person, known.employers, known.statuses, as_of)


def _person_inputs(session: Session, person_id: int,
                   ui_rows: list[contributions.UIRow]) -> PersonInputs:
    return PersonInputs(
        header=batch.header_of(registry.person_facts(session=session, person_id=person_id)),
        periods=contributions.si_periods_of(session=session, person_id=person_id),
        ui_rows=ui_rows,
        cards=[batch.hi_span_of(c)
               for c in registry.hi_cards_of(session=session, person_id=person_id)],
        ui_reserved_months=contributions.ui_reserved_months(session=session,
                                                            person_id=person_id),
        voluntary_payments=contributions.voluntary_payments_of(session=session,
                                                               person_id=person_id),
        benefits=benefit_records.benefits_of(session=session, person_id=person_id),
    )


def _employers_of(session: Session, person: PersonInputs, as_of: date) -> batch.EmployerFacts:
    """The employers and their unpaid months as the batch path reads them, by the same code: a
    book must not depend on the path that made it."""
    known = batch.EmployerFacts()
    known.load(session, employer_ids(person), as_of)
    return known


def ui_paid_between(*, session: Session, person_id: int, as_of: date, first: Period,
                    last: Period) -> int:
    """The person's UI months from ``first`` to ``last`` their employers paid by ``as_of``,
    counted as the book counts them (``payload.ui_months_paid``)."""
    rows = [replace(u, from_month=max(u.from_month, first),
                    to_month=last if u.to_month is None else min(u.to_month, last))
            for u in contributions.ui_periods_of(session=session, person_id=person_id)
            if u.from_month <= last and (u.to_month is None or u.to_month >= first)]
    person = _person_inputs(session, person_id, rows)
    known = _employers_of(session, person, as_of)
    return ui_months_paid(person.periods, rows, known.employers, known.statuses, as_of)


def si_paid_between(*, session: Session, person_id: int, as_of: date, first: Period,
                    last: Period, kinds: Collection[str]) -> MonthsPaid:
    """The person's months of SI of ``kinds`` (sheet rows' kinds, ``maternity`` a leave's)
    from ``first`` to ``last`` paid by ``as_of``, counted as the book counts them
    (``payload.si_months_paid``), and those of them their employer owes."""
    person = _person_inputs(session, person_id, [])
    known = _employers_of(session, person, as_of)
    return si_months_paid(person, known.employers, known.statuses, as_of, first, last, kinds)


def si_months_counted(*, session: Session, person_id: int, as_of: date) -> tuple[int, int]:
    """The SI months the person's book counts on ``as_of`` and, of them, those compulsory SI
    paid (``estimate.compulsory_months``): a pension at the statutory age counts both kinds
    (Law 41/2024 Arts 64, 98, 111), an early one the compulsory only (Art 65(1))."""
    payload = assemble_person(session=session, person_id=person_id, as_of=as_of)
    return (int(payload["totals"]["si_months"]),
            compulsory_months(payload, Period.of(as_of)))


def pension_on_record(*, session: Session, person_id: int, as_of: date, starts: Period,
                      average_salary: int | None = None) -> tuple[int, PensionResult]:
    """The SI months the person's book counts on ``as_of``, and the pension from ``starts`` the
    law's formulas give on it as the estimate computes it (``estimate.pension_from``: its
    extra lump sum counts the months past the retirement age of Law 41/2024 Art 68(2)).
    Raises ValidationError when the months give no pension or no rule prices it.
    ``average_salary``: a decision's own, priced instead of the book's revalued average."""
    payload = assemble_person(session=session, person_id=person_id, as_of=as_of)
    return (int(payload["totals"]["si_months"]),
            pension_from(payload, Period.of(as_of), starts, average_salary=average_salary))


def withdrawal_on_record(*, session: Session, person_id: int, as_of: date
                         ) -> LumpSumResult | None:
    """The one-time withdrawal the law's formulas give on the person's book on ``as_of``, as
    the estimate computes it (``estimate.withdrawal_on``); None when nothing prices it."""
    payload = assemble_person(session=session, person_id=person_id, as_of=as_of)
    return withdrawal_on(payload, Period.of(as_of))


def voluntary_account(*, session: Session, person_id: int, as_of: date) -> Account:
    """The person's voluntary months up to ``as_of`` and what their payments made by then pay,
    each month priced as the book's sheet rows price it (the state's support included)."""
    periods = [r for r in contributions.si_periods_of(session=session, person_id=person_id)
               if r.kind == "voluntary"]
    paid = contributions.voluntary_payments_of(session=session, person_id=person_id)
    return voluntary_account_of(lines_of(periods, {}, Period.of(as_of)), paid, as_of)


def voluntary_paid_through(*, session: Session, person_id: int,
                           periods: list[contributions.ParticipationRow], as_of: date,
                           first: Period) -> Period | None:
    """The last voluntary month from ``first`` on that the person's payments made by ``as_of``
    pay in full (months paid ahead too), allocated to their voluntary ``periods`` as
    ``voluntary_account`` allocates them; None when no such month is paid: a voluntary
    participant who stopped paying has stopped contributing (Law 41/2024 Art 101(2))."""
    paid = contributions.voluntary_payments_of(session=session, person_id=person_id)
    last, credit = max(first, Period.of(as_of)), None
    while True:
        account = voluntary_account_of(lines_of(periods, {}, last), paid, as_of)
        counted = [m.month for m in account.months if m.month >= first and m.status in COUNTED]
        # Credit left once every month so far is paid pays the months after: read on while
        # it pays some (each year read takes money, so this ends).
        if (not account.months or account.months[-1].status != "paid"
                or account.credit in (0, credit)):
            return max(counted, default=None)
        last, credit = last + 12, account.credit


def voluntary_paid_before(*, session: Session, person_id: int,
                          periods: list[contributions.ParticipationRow], as_of: date,
                          before: Period) -> Period | None:
    """The last voluntary month before ``before`` that counts (paid in full by the payments
    made by ``as_of``, or before the law tables, as recorded), allocated to the person's
    voluntary ``periods`` as ``voluntary_account`` allocates them; None when none does."""
    paid = contributions.voluntary_payments_of(session=session, person_id=person_id)
    return _paid_before(periods, paid, as_of, before)


def voluntary_paid_before_many(before: dict[int, Period], *, session: Session,
                               as_of: date) -> dict[int, Period | None]:
    """``voluntary_paid_before`` of each person in ``before`` (person id: month), their
    voluntary periods and payments read in one query each (a filing's voluntary participants
    taking a job, ``contributions.staged_periods``)."""
    ids = list(before)
    periods = contributions.si_periods_of_many(session=session, person_ids=ids)
    paid = contributions.voluntary_payments_of_many(session=session, person_ids=ids)
    return {pid: _paid_before([p for p in periods.get(pid, []) if p.kind == "voluntary"],
                              paid.get(pid, []), as_of, first)
            for pid, first in before.items()}


def _paid_before(periods: list[contributions.ParticipationRow], paid: list[Payment],
                 as_of: date, before: Period) -> Period | None:
    account = voluntary_account_of(lines_of(periods, {}, before - 1), paid, as_of)
    return max((m.month for m in account.months if m.status in COUNTED), default=None)


def voluntary_support_used(*, session: Session, person_id: int, before: Period) -> int:
    """Months of the state's support to voluntary SI the person's periods took before month
    ``before`` (at most the law's 120, Decree 159/2025), as the book's sheet rows count them:
    what a new voluntary period has left of them."""
    periods = [r for r in contributions.si_periods_of(session=session, person_id=person_id)
               if r.kind == "voluntary" and r.from_month < before]
    return supported_months(lines_of(periods, {}, before - 1))


def current_version(
    *, session: Session, person_id: int, as_of: date, now: datetime | None = None
) -> tuple[versions.Version, bool]:
    """Assemble the book and record it as a new version when its content changed."""
    payload = assemble_person(session=session, person_id=person_id, as_of=as_of)
    return versions.record(session=session, person_id=person_id, payload=payload, now=now)



def recorded_version(
    *, session: Session, person_id: int, as_of: date
) -> tuple[dict[str, Any], versions.Version | None]:
    """The book as of ``as_of`` and the recorded version holding exactly it, None when the
    facts changed since the latest (or none is recorded): ``current_version`` without the
    write, for a read that must change nothing (a page opened by a link or a prefetch)."""
    payload = assemble_person(session=session, person_id=person_id, as_of=as_of)
    last = versions.latest(session=session, person_id=person_id)
    unchanged = last is not None and last.content_hash == content_hash(payload)
    return payload, last if unchanged else None
