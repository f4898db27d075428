"""A pension is for someone who has stopped working, checked when it is claimed and again when
it is settled.

An employee is entitled to a pension "khi nghỉ việc", on leaving work, with the age and years
the article sets (Law 41/2024/QH15 Art 64(1) and Art 65(1) for an early one; Law 58/2014/QH13
Art 54(1) before 2025-07, as Labour Code 45/2019/QH14 Art 219(1)(a) words it). Working past
the retirement age is lawful and paid for (the extra lump sum of Art 68(2), FACTS §4.1); the
pension of someone in compulsory SI starts when they are eligible and as the employer's
document ending the labour contract records it (Art 69(1)), so not while the employer's period
still covers its first month: the employer files the decrease (GH) first. A voluntary
participant who keeps contributing once eligible has their pension from the month after the
month they stop (Art 101(2)), and a pensioner may not join voluntary SI (Art 2(4)(a)): they
stop by not paying, so a pension is refused only while a voluntary month from its first on is
paid, naming the last (``stopped_paying``; a one-time withdrawal alike,
``record_checks.still_contributing``), and its settlement ends the open voluntary period.
A period from a later month (a job taken up since, open or closed) is refused too: once the
pension is settled no list takes such a worker on (``contributions.staged_settled``). Arts
64, 65, 69, 101 and 2(4) read in a full Vietnamese copy of Law 41/2024, not the gazette:
github.com/teije05-art/clone-pjj-tax-legal-22dec
.../10_Natural_Resources_SHUI/Documents/Doc_Undated_Luat_Bao_hiem.md; Law 58/2014 Art 54(1) as
quoted in public copies of the Labour Code's amendment, not the gazette."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from sibook.benefits.stopped_paying import paid_from
from sibook.contributions import service as contributions
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.registry import reading as registry

LEFT_WORK = ("a pension is paid on leaving work (Law 41/2024 Art 64(1), 'khi nghỉ việc', from "
             "the day the employer's termination records, Art 69(1); Law 58/2014 Art 54(1) "
             "before 2025-07)")
STOPPED_PAYING = ("a voluntary participant's pension starts the month after they stop "
                  "contributing (Law 41/2024 Art 101(2)), and a pensioner may not contribute "
                  "voluntarily (Art 2(4)(a))")


def still_working(session: Session, person_id: int, starts: Period, on: date
                  ) -> list[Problem]:
    """Refused while an employer's SI period of the person covers ``starts``, the pension's
    first month, or a month after it (still open, or closed since: a job taken up after it
    began), naming the period, its unit and the decrease that ends it or the first month the
    pension can start; or while a voluntary participant has paid, by ``on``, a month from
    ``starts`` on, naming the last one paid (they stop by not paying, ``stopped_paying``)."""
    si = contributions.si_periods_of(session=session, person_id=person_id)
    later = [p for p in si
             if p.kind != "voluntary" and (p.to_month is None or p.to_month >= starts)]
    # The open one, else the one ending last: the pension starts after it.
    period = next((p for p in later if p.to_month is None), None) or max(
        later, key=lambda p: p.to_month or starts, default=None)
    if period is None:
        return _still_paying(session, person_id, si, starts, on)
    units = {period.employer_id} if period.employer_id is not None else set()
    unit = registry.employer_codes(session=session, employer_ids=units)
    what = f"{period.kind} SI period{''.join(f' at unit {code}' for code in unit.values())}"
    if period.from_month > starts:  # a job taken up since the pension's first month
        covering = f"months the pension would pay from {starts}"
    else:
        covering = f"{starts}, the pension's first month"
    if period.to_month is not None:  # closed after the pension would start
        return [Problem(field="event_from", reason=(
            f"the {what} from {period.from_month} to {period.to_month} covers {covering}: "
            f"{LEFT_WORK}; the pension starts in {period.to_month + 1} at the earliest"))]
    ends = " (cancelling it)" if period.from_month > starts else " at the latest"
    return [Problem(field="event_from", reason=(
        f"the {what} from {period.from_month} is still open, covering {covering}: "
        f"{LEFT_WORK}; the employer files the decrease (GH) from "
        f"{max(period.from_month, starts)}{ends} first"))]


def _still_paying(session: Session, person_id: int, si: list[contributions.ParticipationRow],
                  starts: Period, on: date) -> list[Problem]:
    paid = paid_from(session, person_id, si, starts, on)
    if paid is None:
        return []
    return [Problem(field="event_from", reason=(
        f"voluntary SI is paid through {paid} as of {on.isoformat()}, covering {starts}, the "
        f"pension's first month: {STOPPED_PAYING}; the pension starts in {paid + 1} at the "
        "earliest, the month after the last one paid (a voluntary participant stops by not "
        "paying)"))]
