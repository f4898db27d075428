"""What an access-log entry was about, where its action alone does not say (its ``detail``,
migration 0027): the unit a remittance or a change of its record concerns and what changed,
the filing a declaration's entry is of, the benefit dossier a claim's or decision's entry is of.
A person reading their log sees the subject beside the
action; an auditor finds the record it names.

A detail is machine-neutral and short: "key value" parts joined by "; " (keys fixed words,
values codes, months, days and numbers, none holding "; "), e.g. ``unit 0101234567;
payment_cycle 3; from 2026-04``, which the portal shows in both languages. It names no person:
an entry of many persons shows each of them the same detail. A remittance's amount is left
out (in a unit of two it tells one worker the other's pay), and so is its bank reference (free
text typed from the statement); its id and day find it in the unit's ledger. A benefit's is
its regime, dossier and decision number and outcome only: its amounts and a disease's name are
the person's pay and health, kept to their benefits page.
"""

from __future__ import annotations

from collections.abc import Iterable

from sibook.core.period import Period

UNIT, PAYMENT, PAID_ON, MONTHS = "unit", "payment", "paid_on", "months"
PAYMENT_CYCLE, SALARY_REGIME, FROM = "payment_cycle", "salary_regime", "from"
MONTH, BATCH, DECLARATION = "month", "batch", "declaration"
REGIME, DOSSIER, DECISION, OUTCOME = "regime", "dossier", "decision", "outcome"
SEP = "; "


def _said(*parts: tuple[str, object]) -> str:
    return SEP.join(f"{key} {value}" for key, value in parts)


def parts(detail: str) -> list[tuple[str, str]]:
    """A detail's (key, value) parts, in order; a part without a value is its key alone."""
    return [(key, value) for key, _, value in (part.partition(" ")
                                                for part in detail.split(SEP))]


def unit_paid(unit_code: str, payment_id: int, paid_on: str, months: Iterable[str]) -> str:
    """A remittance posted: the unit, the payment's id and day, and the first and last month it
    paid (``YYYY-MM``; none: it went to the unit's credit, its workers' months changed by the
    money it moved)."""
    said = [(UNIT, unit_code), (PAYMENT, payment_id), (PAID_ON, paid_on)]
    paid = sorted(months)
    if paid:
        said.append((MONTHS, paid[0] if paid[0] == paid[-1] else f"{paid[0]}..{paid[-1]}"))
    return _said(*said)


def unit_changed(unit_code: str, what: str, value: str, from_month: Period) -> str:
    """A unit's ``what`` (PAYMENT_CYCLE or SALARY_REGIME) set to ``value`` from a month on."""
    return _said((UNIT, unit_code), (what, value), (FROM, from_month))


def declaration(unit_code: str, month: Period | str, batch: int,
                declaration_id: int | None = None) -> str:
    """A unit's filing of a month's batch; its id once it landed (none for a refused one)."""
    said = [(UNIT, unit_code), (MONTH, month), (BATCH, batch)]
    if declaration_id is not None:
        said.append((DECLARATION, declaration_id))
    return _said(*said)


def benefit(regime: str, dossier_no: str, decision_no: str | None = None,
            outcome: str | None = None) -> str:
    """A benefit claim received (its regime and dossier number) or decided (with the decision's
    number and outcome, settled or refused)."""
    said: list[tuple[str, object]] = [(REGIME, regime), (DOSSIER, dossier_no)]
    if decision_no is not None:
        said += [(DECISION, decision_no), (OUTCOME, outcome)]
    return _said(*said)


def without_unit(detail: str | None) -> str | None:
    """The detail without the unit it names (for an entry of another realm's unit, whose code
    is its realm's to keep, as its client id is); None when nothing else is left."""
    if detail is None:
        return None
    kept = [(key, value) for key, value in parts(detail) if key != UNIT]
    return _said(*kept) or None
