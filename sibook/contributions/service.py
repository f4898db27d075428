"""Use cases over participation periods."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from sibook.contributions.store import SIPeriod


def current_worker_ids(*, employer_id: int) -> Select[tuple[int]]:
    """Subquery of the persons whose open period is with ``employer_id``."""
    return select(SIPeriod.person_id).where(
        SIPeriod.to_month.is_(None), SIPeriod.employer_id == employer_id
    )


def current_employer_ids(*, session: Session, person_ids: list[int]) -> dict[int, int]:
    """Internal id of each person's current employer (the open period's), if any."""
    if not person_ids:
        return {}
    rows = session.execute(
        select(SIPeriod.person_id, SIPeriod.employer_id).where(
            SIPeriod.person_id.in_(person_ids),
            SIPeriod.to_month.is_(None),
            SIPeriod.employer_id.is_not(None),
        )
    ).all()
    return {r.person_id: r.employer_id for r in rows if r.employer_id is not None}
