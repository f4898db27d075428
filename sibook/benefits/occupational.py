"""Sickness and work-accident benefits are for someone in compulsory SI at the event
(``at_the_event``), a sick leave also in a month its employer declared off sick (OF).

An occupational disease diagnosed after the job ended (Law 84/2015/QH13 Art 46(2)): it is
received when diagnosed within the guarantee period that its appendix of Circular
15/2016/TT-BYT sets after exposure ended (``sibook/law/data/occupational_diseases.csv``), the
OA/OD fund paying (Decree 88/2020/ND-CP Art 5(3)). Exposure ended in the month the claim names,
or else at the end of the person's last period of compulsory SI before the diagnosis. A work
accident happens at work: after the job it is refused as before."""

from __future__ import annotations

from dataclasses import replace

from sibook import law
from sibook.benefits.domain import Claim, Regime
from sibook.benefits.occupational_facts import DISEASE
from sibook.benefits.record_checks import COVERED_KINDS, covers
from sibook.contributions import service as contributions
from sibook.core.errors import Problem, ValidationError
from sibook.core.period import Period
from sibook.law import NoRuleInForce
from sibook.law.diseases import AFTER_THE_JOB, Guarantee

Periods = list[contributions.ParticipationRow]
# The D02-LT decrease an employer files from the first month with 14 working days or more of
# sick leave: the worker is off sick, the contract runs on (FACTS §6.3).
SICK_LEAVE = "OF"


def at_the_event(si: Periods, c: Claim) -> list[Problem]:
    """Sickness and work-accident benefits are for someone in compulsory SI in the month of the
    event, a sick leave also in a month its employer declared the worker off sick (``off_sick``);
    an occupational disease diagnosed later within its guarantee period (``within_guarantee``).
    Checked when a claim is received and again when it is settled (a decrease filed since,
    from an earlier month, leaves the event outside SI)."""
    if c.regime not in (Regime.SICKNESS, Regime.OCCUPATIONAL) or c.event_from is None:
        return []
    month = Period.of(c.event_from)
    if covered(si, month) or (c.regime is Regime.SICKNESS and off_sick(si, month)):
        return []
    if after_the_job(c):
        return within_guarantee(si, c)
    return [Problem(field="event_from", reason=(
        f"not in compulsory SI in {month}: {c.regime} benefits are for employees covered in "
        "the month of the event (voluntary SI pays pension and survivorship only)"))]


def covered(si: Periods, month: Period) -> bool:
    """In compulsory SI (employees', foreign employees') in the month."""
    return any(p.kind in COVERED_KINDS and covers(p.from_month, p.to_month, month) for p in si)


def off_sick(si: Periods, month: Period) -> bool:
    """The month falls in a sick leave the worker's employer declared: the decrease for sick
    leave (OF) closed the period before it, no period of the person has begun since (the
    worker back at work, or elsewhere), and the worker had not left the employer (a GH filed
    during the leave, ``left_from``: the month is after the job). The decrease does not end
    the contract: it is filed for the leave, so that leave's sick pay is the regime's (Law
    41/2024 Art 42)."""
    return any(p.closed_by == SICK_LEAVE and p.kind in COVERED_KINDS
               and p.to_month is not None and p.to_month < month
               and (p.left_from is None or month < p.left_from)
               and not any(p.to_month < q.from_month <= month for q in si) for p in si)


def after_the_job(c: Claim) -> bool:
    """A disease claim, the one kind of occupational claim the guarantee period can carry past
    the job."""
    return (c.regime is Regime.OCCUPATIONAL and c.occupational_kind == DISEASE
            and c.disease_code is not None and c.event_from is not None)


def with_exposure_end(si: Periods, c: Claim) -> Claim:
    """The claim with the month exposure ended: the one it names, else (for a disease
    diagnosed outside compulsory SI) the last month of the latest compulsory period begun
    before the diagnosis; unchanged when none applies."""
    if not after_the_job(c) or c.exposure_ended is not None:
        return c
    assert c.event_from is not None
    month = Period.of(c.event_from)
    if covered(si, month):
        return c
    ends = [p.to_month for p in si if p.kind in COVERED_KINDS and p.to_month is not None
            and p.from_month <= month]
    return replace(c, exposure_ended=max(ends)) if ends else c


def within_guarantee(si: Periods, c: Claim) -> list[Problem]:
    """A disease diagnosed outside compulsory SI: exposure ended in a month of compulsory SI,
    and the diagnosis falls within the disease's guarantee period after it."""
    assert c.event_from is not None and c.disease_code is not None
    ended = c.exposure_ended
    if ended is None:
        return [Problem(field="event_from", reason=(
            f"no compulsory SI before {Period.of(c.event_from)}: exposure to the disease's "
            "harmful factor counts in a job covered by compulsory SI (Law 84/2015/QH13 Art "
            "46(2))"))]
    if not covered(si, ended):
        return [Problem(field="exposure_ended", reason=(
            f"not in compulsory SI in {ended}: the guarantee period runs from the end of "
            "exposure in a job covered by compulsory SI (Law 84/2015/QH13 Art 46(2))"))]
    try:
        g = guarantee_of(c)
    except NoRuleInForce as no:
        return [Problem(field="event_from", reason=(
            f"{no.problems[0].reason}: Circular 15/2016/TT-BYT is in force from 2016-07"))]
    last = g.last_day(ended)
    if last is None or c.event_from <= last:
        return []
    return [Problem(field="event_from", reason=(
        f"diagnosed on {c.event_from.isoformat()}, after the guarantee period of {g.period} "
        f"for {_named(g)} after exposure ended in {ended} (last day {last.isoformat()}; "
        f"{g.source}); {AFTER_THE_JOB}"))]


def acceptance(c: Claim) -> str | None:
    """Why a disease diagnosed after exposure ended is insured, citing the law: None unless
    the claim names the month exposure ended and the diagnosis falls within the period."""
    if not after_the_job(c) or c.exposure_ended is None:
        return None
    assert c.event_from is not None
    if Period.of(c.event_from) <= c.exposure_ended:
        return None
    try:
        g = guarantee_of(c)
    except ValidationError:  # a code, form or month the table has no period for
        return None
    last = g.last_day(c.exposure_ended)
    if last is not None and c.event_from > last:
        return None
    return (f"diagnosed on {c.event_from.isoformat()}, within the guarantee period of "
            f"{g.period} for {_named(g)} after exposure ended in {c.exposure_ended}"
            f"{'' if last is None else f' (last day {last.isoformat()})'}: {g.source}; "
            f"{AFTER_THE_JOB}")


def guarantee_of(c: Claim) -> Guarantee:
    assert c.event_from is not None and c.disease_code is not None
    return law.book().disease_guarantee(c.disease_code, c.disease_form, Period.of(c.event_from))


def _named(g: Guarantee) -> str:
    return f"{g.name} ({g.form_name})" if g.form_name else g.name
