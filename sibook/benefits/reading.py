"""A person's claims as the API answers them: each with its decision."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sibook.access import details
from sibook.benefits.domain import NAMES, Benefit
from sibook.benefits.occupational import acceptance
from sibook.benefits.occupational_facts import disease_names
from sibook.benefits.records import claim_of, decision_of
from sibook.benefits.store import BenefitClaim, BenefitDecision
from sibook.core.moments import stamped


def listing(*, session: Session, person_id: int, personal_id: str) -> dict[str, Any]:
    """The person's claims in the order received, each with its decision."""
    rows = session.scalars(select(BenefitClaim).where(BenefitClaim.person_id == person_id)
                           .order_by(BenefitClaim.received_on, BenefitClaim.claim_no)).all()
    return {"personal_id": personal_id,
            "benefits": [answer(session, personal_id, r) for r in rows]}


def detail(b: Mapping[str, Any]) -> str:
    """The access log's detail of a claim or decision recorded (``answer``'s): which dossier."""
    d = b["decision"]
    return details.benefit(b["regime"], b["dossier_no"], *(
        () if d is None else (d["decision_no"], d["outcome"])))


def answer(session: Session, personal_id: str, row: BenefitClaim, *,
           replayed: bool | None = None) -> dict[str, Any]:
    """The claim with its decision; ``replayed`` (whether it was recorded before) for the answer
    to a request that records, absent from a listing."""
    decision = session.get(BenefitDecision, (row.person_id, row.claim_no))
    b = Benefit(claim_of(row), None if decision is None else decision_of(decision))
    c, d = b.claim, b.decision
    return {
        "personal_id": personal_id, "dossier_no": c.dossier_no, "regime": str(c.regime),
        "regime_name": NAMES[c.regime], "received_on": c.received_on.isoformat(),
        "event_from": c.event_from and c.event_from.isoformat(),
        "event_to": c.event_to and c.event_to.isoformat(), "note": c.note, "ground": c.ground,
        "capacity_loss_percent": c.capacity_loss_percent, "hazardous_years": c.hazardous_years,
        "infertility_treatment": c.infertility_treatment,
        "occupational_kind": c.occupational_kind, "disease_code": c.disease_code,
        "disease_form": c.disease_form,
        "exposure_ended": c.exposure_ended and str(c.exposure_ended),
        "disease_name": disease_names(c.disease_code, c.disease_form)[0],
        "guarantee": acceptance(c),
        "recorded_at": stamped(row.recorded_at), "status": b.status,
        "decision": None if d is None or decision is None else {
            "outcome": d.outcome, "decided_on": d.decided_on.isoformat(),
            "decision_no": d.decision_no, "amount": d.amount,
            "monthly_amount": d.monthly_amount,
            "from_month": None if d.from_month is None else str(d.from_month),
            "months": d.months, "days": d.days, "reason": d.reason,
            "months_settled": d.months_settled, "average_salary": d.average_salary,
            "recorded_at": stamped(decision.recorded_at)},
    } | ({} if replayed is None else {"replayed": replayed})
