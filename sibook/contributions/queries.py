"""Read models of the ledger, as the CLI and the API answer them (JSON-ready dicts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from sibook.book import service as book
from sibook.contributions import floor, ledger
from sibook.contributions.cycles import cycles_for
from sibook.contributions.service import PersonMonth, person_months, si_periods_of
from sibook.contributions.statement import employer_months, statement_notes
from sibook.core.period import Period
from sibook.registry import reading as registry
from sibook.rules.inputs import as_field


def person_ledger(
    *, session: Session, person_id: int, personal_id: str, as_of: date | None,
    since: Period | None = None, employer_code: str | None = None,
) -> dict[str, Any]:
    """The person's months and their summary; with ``employer_code``, only the months worked
    for that employer, and the summary of those only (an employer's view of its worker).
    Voluntary months show what the participant owed and paid (``due``, ``paid``); they are no
    employer's business. A month worked for an employer says how late the employer paid it
    (``employer_days_late``, its statement's ``days_late``; None when reported), and the summary
    counts the late ones (``months_employer_late``): Decision 241/QD-BTC makes them shareable
    (FACTS §3.7). Each employer's statement is read once, by ``person_months``. ``as_of``
    None is today (``judged_on``)."""
    as_of, judged_by = judged_on(as_of, "personal_id")
    employer_ids = {
        r.employer_id
        for r in si_periods_of(session=session, person_id=person_id)
        if r.employer_id is not None
    }
    employers = registry.employer_refs(session=session, employer_ids=employer_ids)
    with as_field(judged_by):
        months = person_months(
            session=session,
            person_id=person_id,
            as_of=as_of,
            regions={i: e.region for i, e in employers.items()},
        )
    rows: list[dict[str, Any]] = [_employed(m, employers[m.employer_id].code) for m in months
                                  if employer_code in (None, employers[m.employer_id].code)]
    extra: dict[str, int] = {}
    if employer_code is None:
        account = book.voluntary_account(session=session, person_id=person_id, as_of=as_of)
        extra["voluntary_credit"] = account.credit
        rows += [{"month": str(m.month), "kind": "voluntary", "employer": None,
                  "basis": m.charge.basis, "employer_share": None,
                  "employee_share": None if m.charge.share is None else dict(m.charge.share),
                  "status": m.status, "deducted_not_remitted": False,
                  "employer_month_due": None, "employer_month_paid": None,
                  "due": m.due, "paid": None if m.due is None else m.paid,
                  "employer_days_late": None}
                 for m in account.months]
        rows.sort(key=lambda r: str(r["month"]))
    counts = {
        s: sum(1 for r in rows if r["status"] == s)
        for s in ("paid", "partly_paid", "unpaid", "reported")
    }
    return {
        "personal_id": personal_id,
        "as_of": as_of.isoformat(),
        "months": [r for r in rows if since is None or r["month"] >= str(since)],
        "summary": {
            "months": len(rows),
            **counts,
            "months_deducted_not_remitted": sum(r["deducted_not_remitted"] for r in rows),
            "months_employer_late": sum(1 for r in rows if (r["employer_days_late"] or 0) > 0),
            **extra,
        },
    }


def judged_on(as_of: date | None, ledger_key: str) -> tuple[date, str]:
    """The day whose late-payment rules judge every month of a ledger (``as_of``, else today),
    and the field a month no law table prices is reported against: ``as_of`` when the caller
    gave that day; else the caller gave none, and the ledger's own key (``ledger_key``: the
    unit's code, the personal ID) is named, its reason the month that cannot be read, not a
    day nobody typed. The CLI and the API both answer so (``--as-of``, ``?as_of=``)."""
    return (as_of, "as_of") if as_of is not None else (date.today(), ledger_key)


def _employed(m: PersonMonth, employer: str) -> dict[str, Any]:
    """A month worked for an employer; ``due`` and ``paid`` are a voluntary participant's own."""
    return {
        "month": str(m.month),
        "kind": m.kind,
        "employer": employer,
        "basis": m.basis,
        "employer_share": m.employer_share,
        "employee_share": m.employee_share,
        "status": m.status,
        "deducted_not_remitted": m.deducted_not_remitted,
        "employer_month_due": m.employer_due,
        "employer_month_paid": m.employer_paid,
        "due": None,
        "paid": None,
        "employer_days_late": m.days_late,
    }


def employer_ledger(*, session: Session, code: str, as_of: date | None) -> dict[str, Any]:
    """The unit's months as of ``as_of`` (None: today, ``judged_on``)."""
    as_of, judged_by = judged_on(as_of, "code")
    employer = registry.employer_by_code(session=session, code=code)
    with as_field(judged_by):
        months = employer_months(session.connection(), employer.employer_id, as_of)
    underpaid = floor.counts_by_month(session.connection(), employer.employer_id,
                                      employer.region, [m.month for m in months], employer.realm)
    return {
        "employer": employer.code,
        "as_of": as_of.isoformat(),
        "months": [
            {
                "month": str(m.month),
                "due": m.due,
                "paid": m.paid,
                "outstanding": m.outstanding,
                "deadline": m.deadline.isoformat(),
                "days_late": m.days_late,
                "interest": m.interest,
                "evasion": m.evasion,
                "status": m.status,
                "below_minimum": underpaid[m.month],
            }
            for m in months
        ],
        "totals": {
            "due": sum(m.due for m in months),
            "paid": sum(m.paid for m in months),
            "outstanding": sum(m.outstanding for m in months),
            "interest": sum(m.interest for m in months),
            "months_in_evasion": sum(m.in_evasion for m in months),
            "credit": ledger.credit(session.connection(), employer.employer_id, as_of),
        },
        "notes": statement_notes(months, as_of),
    }


def below_minimum(*, session: Session, code: str, month: Period
                  ) -> tuple[dict[str, Any], list[int]]:
    """The unit's workers paid below the month's regional minimum (``floor``), and their
    internal ids for the access log."""
    employer = registry.employer_by_code(session=session, code=code)
    workers = floor.underpaid(session.connection(), employer.employer_id, employer.region, month,
                              employer.realm)
    return {
        "employer": employer.code,
        "month": str(month),
        "region": employer.region,
        "minimum": floor.minimum_of(employer.region, month),
        "evasion_from": floor.evasion_from(
            month, cycles_for(session.connection(), employer.employer_id)).isoformat(),
        "workers": [w.as_dict() for w in workers],
    }, [w.person_id for w in workers]
