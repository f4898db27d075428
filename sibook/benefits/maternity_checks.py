"""What a person's record must show for a maternity claim, checked when it is received and
again when it is settled (Law 41/2024 Arts 50, 53, 94; FACTS §4.4).

The law's months are months of SI paid ("đã đóng"): a month the employer declared but has not
paid counts once it pays it, as the book counts it (the time of SI is the time paid, Art 3(6)).
The law makes the employer, not the fund, answer for the gap: it must pay what it owes with
interest (Arts 40-41) and compensate the worker for the loss its failure to pay causes (Art
13(8)); no article found lets the fund count an unpaid month meanwhile, so such months do not
count until paid and the refusal names them and the employer. Law text read in a full
Vietnamese copy of Law 41/2024, not the gazette: github.com/teije05-art/clone-pjj-tax-legal-22dec
.../Doc_Undated_Luat_Bao_hiem.md."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from sibook.benefits.domain import Claim
from sibook.benefits.record_checks import COVERED_KINDS
from sibook.book import service as book
from sibook.book.sheets import MATERNITY
from sibook.contributions import service as contributions
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.registry import reading as registry

# Art 50(2): 6 months of compulsory SI in the 12 before the birth; Art 50(5): in the 24 after
# leave for infertility treatment; the leave begins at most 2 months before the birth (FACTS
# §4.4) and its months count as compulsory SI (Art 53(8)), as an earlier leave's do.
MATERNITY_MONTHS, LEAVE_BEFORE_BIRTH = 6, 2
BEFORE_BIRTH, AFTER_INFERTILITY_TREATMENT = 12, 24
LOSS_LEAVE_DAYS = 50  # a pregnancy loss at 25 weeks or more, the 6 months not met (§4.4)
COMPULSORY = (*COVERED_KINDS, MATERNITY)
# Art 94(1): a voluntary participant's allowance, 6 months of voluntary SI, or of voluntary and
# compulsory together, in the 12 before the birth (Art 95: 2,000,000 VND a child).
ANY_KIND = (*COMPULSORY, "voluntary")


def maternity_supported(session: Session, person_id: int, facts: registry.PersonFacts,
                        c: Claim, on: date) -> list[Problem]:
    """A mother's leave is held to her 6 months of compulsory SI (``_six_compulsory_months``),
    in the 24 months before the birth when the claim follows leave for infertility treatment,
    which only a mother takes; a father's days, and a leave no longer than the 50 days a
    pregnancy loss at 25 weeks or more gives without the 6 months, to compulsory SI in the year
    (or two) before (Art 50(1)(g): a father in compulsory SI). Voluntary SI pays no leave: a
    claim the compulsory conditions refuse still stands as a voluntary participant's allowance
    when its 6 months of SI of any kind are paid (Art 94(1)). By the record on ``on``."""
    assert c.event_from is not None
    month = Period.of(c.event_from)
    within = AFTER_INFERTILITY_TREATMENT if c.infertility_treatment else BEFORE_BIRTH
    if facts.sex != "female" and c.infertility_treatment:
        return [Problem(field="infertility_treatment", reason=(
            "a mother's leave follows infertility treatment (FACTS §4.4), not a father's days"))]
    si = [p for p in contributions.si_periods_of(session=session, person_id=person_id)
          if p.from_month <= Period.of(on)]
    if facts.sex == "female" and (c.event_to is None or (
            c.event_to - c.event_from).days + 1 > LOSS_LEAVE_DAYS):
        problems = _six_compulsory_months(session, person_id, month, within, on)
    elif not any(p.kind in COVERED_KINDS and p.from_month <= month
                 and (p.to_month is None or p.to_month >= month - within) for p in si):
        problems = [Problem(field="event_from", reason=(
            f"no compulsory SI in the {within} months before {month}: maternity benefits need "
            "contributions in the year before the leave, two after infertility treatment "
            "(FACTS §4.4; a father's days are for a father in compulsory SI, Law 41/2024 Art "
            "50(1)(g))"))]
    else:
        return []
    if not problems or not any(p.kind == "voluntary" for p in si):
        return problems
    return _voluntary_allowance(session, person_id, month, on, problems[0])


def _six_compulsory_months(session: Session, person_id: int, leave: Period, within: int,
                           on: date) -> list[Problem]:
    """A mother's 6 months of compulsory SI in the ``within`` (12, or 24 after infertility
    treatment) months before the birth (Law 41/2024 Art 50(2), (5)). The claim gives the leave,
    which begins at most 2 months before the birth, and its months count as contributed: the
    most any birth date can give is the months paid in the ``within`` - 2 before the leave plus
    2, so fewer than 4 there is refused, and so do an earlier leave's (Art 53(8))."""
    first, last = leave - (within - LEAVE_BEFORE_BIRTH), leave - 1
    found = book.si_paid_between(session=session, person_id=person_id, as_of=on, first=first,
                                 last=last, kinds=COMPULSORY)
    if found.months + LEAVE_BEFORE_BIRTH >= MATERNITY_MONTHS:
        return []
    article = "Art 50(5)" if within != BEFORE_BIRTH else "Art 50(2)"
    return [Problem(field="event_from", reason=(
        f"{found.months} months of compulsory SI paid from {first} to {last} as of "
        f"{on.isoformat()}{_owed(found.owed)}: maternity benefits need {MATERNITY_MONTHS} "
        f"months of compulsory SI in the {within} months before the birth"
        f"{' (after infertility treatment)' if within != BEFORE_BIRTH else ''} (Law 41/2024 "
        f"{article}; voluntary months do not count), and a leave from {leave} (at most "
        f"{LEAVE_BEFORE_BIRTH} months before it) adds at most {LEAVE_BEFORE_BIRTH} "
        "(FACTS §4.4)"))]


def _owed(owed: tuple[tuple[str | None, Period], ...]) -> str:
    """The months an employer declared but has not paid, said as the refusal says them."""
    if not owed:
        return ""
    months = ", ".join(f"{month} (employer {code})" for code, month in owed)
    return (f"; not counted until their employer pays them: {months}, which it owes with "
            "interest (Law 41/2024 Arts 40-41) and must make good to the worker (Art 13(8))")


def _voluntary_allowance(session: Session, person_id: int, birth: Period, on: date,
                         refused: Problem) -> list[Problem]:
    """A voluntary participant's maternity allowance: 6 months of SI of any kind paid in the
    12 before the birth (Law 41/2024 Art 94(1); the claim's event taken as the birth, as such a
    participant takes no leave before it). The compulsory refusal stands when they are not."""
    first, last = birth - BEFORE_BIRTH, birth - 1
    found = book.si_paid_between(session=session, person_id=person_id, as_of=on, first=first,
                                 last=last, kinds=ANY_KIND)
    if found.months >= MATERNITY_MONTHS:
        return []
    return [Problem(field=refused.field, reason=(
        f"{refused.reason}; nor a voluntary participant's allowance: {found.months} months of "
        f"SI of any kind paid from {first} to {last}, where it needs {MATERNITY_MONTHS} in the "
        f"{BEFORE_BIRTH} months before the birth (Law 41/2024 Art 94(1))"))]

