"""The e-SI book as a value (sổ BHXH điện tử), assembled from plain inputs. Pure: no I/O.

The book holds what the paper book holds (FACTS §1.2, §6.1): a header, the contribution sheets
(tờ rời), UI and HI periods, unpaid months, benefits and totals. Sheet rows are the paper book's:
consecutive months merge into one row while employer, job, salary basis, allowances and the
per-fund amounts (hence the rates) stay the same.

The canonical form is JSON with sorted keys, no whitespace, UTF-8 and no floats (money is int
VND), so the same facts always give the same bytes and the same SHA-256 content hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import orjson

from sibook.benefits import domain as benefits
from sibook.benefits.domain import Benefit
from sibook.core.period import Period

FORMAT = "sibook-book/1"
# Books of people managed by the defence and public-security ministries hold, for state-secret
# reasons, only the person and their total time of SI and UI (FACTS §1.2, the MPS draft
# circular: full name, SI number, birth date, total time of SI and UI participation): their
# units, posts and pay stay in the realm's records, never in a document the person carries.
RESTRICTED_REALMS = ("defence", "public_security")
WITHHELD = ("sheets", "ui_periods", "arrears", "benefits", "voluntary")
Shares = dict[str, int]


@dataclass(frozen=True)
class Header:
    personal_id: str
    legacy_si_code: str | None
    full_name: str
    birth_date: date
    sex: str
    nationality: str
    realm: str


@dataclass(frozen=True)
class Line:
    """A stretch of months with one employer, job, basis and the same monthly amounts."""

    from_month: Period
    to_month: Period  # inclusive, never past the as-of month
    kind: str  # compulsory | foreign | voluntary | maternity (leave after TS: nothing due)
    employer_code: str | None
    employer_name: str | None
    job_title: str | None
    salary_basis: int
    allowances: int
    employer_share: Shares | None  # per fund and "total", VND a month; None: no law table
    employee_share: Shares | None
    ongoing: bool = False  # the period is still open after to_month
    support: str | None = None  # voluntary: the state's support group these months had
    state_scale: bool = False  # paid by the state's salary scale (the unit's salary_regime)

    def key(self) -> tuple[Any, ...]:
        """What must stay the same for two consecutive lines to be one sheet row (compared
        with ==, which compares the share dicts by content)."""
        return (self.kind, self.employer_code, self.employer_name, self.job_title,
                self.salary_basis, self.allowances, self.employer_share, self.employee_share,
                self.state_scale)


@dataclass(frozen=True)
class UISpan:
    from_month: Period
    to_month: Period  # inclusive, clipped to the as-of month
    employer_code: str | None
    salary_basis: int
    ongoing: bool = False


@dataclass(frozen=True)
class HISpan:
    card_number: str
    benefit_level: int
    valid_from: date
    valid_to: date
    initial_kcb_place: str


@dataclass(frozen=True)
class Arrear:
    """A month the employer reported (and withheld the worker's share) but has not paid in full."""

    month: Period
    employer_code: str | None
    status: str  # unpaid | partly_paid
    withheld: int | None  # the worker's share deducted from pay
    employer_due: int | None  # the employer's whole month, all workers
    employer_paid: int | None


@dataclass(frozen=True)
class OwedMonth:
    """A voluntary month not paid in full: it does not count until it is (Law 41/2024 Art 36)."""

    month: Period
    status: str  # unpaid | partly_paid
    due: int | None  # None: the law cannot price the month at the declared income
    paid: int


@dataclass(frozen=True)
class VoluntaryPaid:
    """A voluntary participant's payments (paid on, reference, amount), the months they leave
    unpaid and the credit left over for the next months."""

    payments: Sequence[tuple[date, str, int]]
    owed: Sequence[OwedMonth]
    credit: int


@dataclass(frozen=True)
class BookInputs:
    header: Header
    lines: Sequence[Line]
    ui: Sequence[UISpan] = ()
    hi: Sequence[HISpan] = ()
    arrears: Sequence[Arrear] = ()
    ui_reserved_months: int = 0
    benefits: Sequence[Benefit] = ()  # claims in the order received, with their decisions
    voluntary: VoluntaryPaid | None = None  # None: never a voluntary participant


def merge_lines(lines: Iterable[Line]) -> list[Line]:
    """Sheet rows: consecutive lines with the same key become one row (in month order)."""
    rows: list[Line] = []
    for line in sorted(lines, key=lambda ln: ln.from_month.index):
        last = rows[-1] if rows else None
        # Month numbers, not Periods: this runs for every line of every book issued.
        if last and last.to_month.index + 1 == line.from_month.index and \
                last.key() == line.key():
            rows[-1] = replace(last, to_month=line.to_month, ongoing=line.ongoing)
        else:
            rows.append(line)
    return rows


def assemble(inputs: BookInputs) -> dict[str, Any]:
    """The book's payload: JSON-ready, ints and strings only."""
    rows = merge_lines(inputs.lines)
    unpaid = {(a.employer_code, a.month) for a in inputs.arrears}
    owed = inputs.voluntary.owed if inputs.voluntary else ()
    payload = {
        "format": FORMAT,
        "header": _header(inputs.header),
        "sheets": [_row(r, owed) for r in rows],
        "ui_periods": [_ui(u) for u in inputs.ui],
        "hi_periods": [_hi(h) for h in sorted(inputs.hi, key=lambda h: h.valid_from)],
        "arrears": [_arrear(a) for a in sorted(inputs.arrears, key=lambda a: a.month)],
        "benefits": [benefits.entry(b) for b in inputs.benefits],
        "totals": totals(rows, inputs.ui, unpaid, inputs.ui_reserved_months, owed,
                         inputs.benefits),
    }
    if inputs.voluntary is not None:  # absent from other books: their content stays as it was
        payload["voluntary"] = _voluntary(inputs.voluntary)
    if inputs.header.realm in RESTRICTED_REALMS:
        return restricted(payload)
    return payload


def restricted(payload: dict[str, Any]) -> dict[str, Any]:
    """A defence or public-security book: the totals stand as computed from the whole record,
    the parts that would show units, posts and pay are left empty (the HI card stays: a
    hospital checks it), and ``restricted`` says so."""
    out = {k: ([] if k in WITHHELD else v) for k, v in payload.items() if k != "voluntary"}
    return out | {"restricted": True}


def unit_names(book: dict[str, Any]) -> dict[str, str]:
    """Unit code -> "name (code)", from the book's sheets, which name the units its other
    tables (arrears, UI periods) and the ledger give by code only: for the print and the
    portal to name them (a citizen does not know their employer by its tax code), the signed
    content unchanged. A restricted book has no sheets: no names."""
    return {r["employer_code"]: f"{r['employer_name']} ({r['employer_code']})"
            for r in book.get("sheets", []) if r.get("employer_code") and r.get("employer_name")}


def totals(rows: Sequence[Line], ui: Sequence[UISpan], unpaid: set[tuple[str | None, Period]],
           ui_reserved_months: int, owed: Sequence[OwedMonth] = (),
           settled: Sequence[Benefit] = ()) -> dict[str, int]:
    """Months of SI and UI still to count towards a benefit; months in arrears are not counted
    until the employer pays them, voluntary months not paid in full (``owed``) until the
    participant does, months a one-time withdrawal paid out or an unemployment benefit used
    (``settled``) never again (their counts appear only in books that have them, so other
    books' content is unchanged). Months of SI and of UI are calendar months
    (``calendar_months``)."""
    si = calendar_months(rows, unpaid, owed)
    ui_months = calendar_months(ui, unpaid)
    paid_out = benefits.months_settled(settled, benefits.Regime.LUMP_SUM)
    used = benefits.months_settled(settled, benefits.Regime.UNEMPLOYMENT)
    si = max(0, si - paid_out)
    # A benefit uses the months paid since the last one first, then those reserved before it.
    reserved = max(0, ui_reserved_months - max(0, used - ui_months))
    ui_months = max(0, ui_months - used)
    out = {"si_months": si, "si_years": si // 12, "si_remaining_months": si % 12,
           "unpaid_months": len(unpaid) + len(owed), "ui_months": ui_months,
           "ui_reserved_months": reserved}
    if paid_out:
        out["si_months_paid_out"] = paid_out
    if used:
        out["ui_months_used"] = used
    return out


def calendar_months(spans: Sequence[Line | UISpan], unpaid: set[tuple[str | None, Period]],
                    owed: Sequence[OwedMonth] = ()) -> int:
    """The calendar months some sheet row (or UI span) pays for: not in arrears at its
    employer, not a voluntary month owed. A month paid at two employers, or compulsory and
    voluntary, is one month of SI. The time of SI is the time paid (Law 41/2024 Art 3(6));
    someone with labour contracts at several employers is insured under the first (Art
    2(5)(a)) and voluntary SI is for those outside compulsory SI (Art 2(4)(a)), so a month is
    never insured twice. So is a month of UI two spans cover: a worker with several contracts
    pays UI under the first too (Employment Law 2013 Art 43, as VSS answered VCCI in 2023;
    provisional under the Employment Law 2025), and one owed at one employer but paid by the
    other counts, as SI's does. Source:
    en.vcci.com.vn/legal-policy-suggestions/qa/how-to-sign-multiple-labor-contracts-and-pay-social-insurance-317

    The months the spans cover, less those no covering span pays: only arrears and owed
    months can be such, so a career's months are never walked one by one (books are issued in
    batches of many thousand)."""
    covered, end = 0, None
    for first, last in sorted((r.from_month.index, r.to_month.index) for r in spans):
        if end is None or first > end:
            covered, end = covered + max(0, last - first + 1), last
        elif last > end:
            covered, end = covered + last - end, last
    missing = {(code, month.index) for code, month in unpaid}
    owed_months = {m.month.index for m in owed}

    def pays(r: Line | UISpan, index: int) -> bool:
        return (r.employer_code, index) not in missing and not (
            isinstance(r, Line) and r.kind == "voluntary" and index in owed_months)

    lost = 0
    for index in {index for _, index in missing} | owed_months:
        covering = [r for r in spans if r.from_month.index <= index <= r.to_month.index]
        if covering and not any(pays(r, index) for r in covering):
            lost += 1
    return covered - lost


def canonical(payload: Any) -> bytes:
    """Deterministic bytes of a payload; refuses floats, whose text form is not canonical.

    orjson with sorted keys writes exactly what ``json.dumps(sort_keys=True, separators=(",",
    ":"), ensure_ascii=False)`` writes for str, int, bool, None, lists and dicts (so hashes of
    earlier versions still match), ten times faster."""
    text = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    # Every float orjson writes has a digit then "." or "e"; only then is the text parsed
    # again, by the stdlib parser, whose hook sees float tokens only (not those in strings).
    # Found with translate + find (C loops, ~2 us) rather than a regex (~60 us on 12 kB).
    # NaN and the infinities escape this check (orjson writes them as null); the payloads are
    # built from typed ints, so only a programming error could bring one.
    if b"DX" in text.translate(_DIGIT_THEN_MARK):
        json.loads(text, parse_float=_refuse_float)
    return text


# Digits become D, "." "e" "E" become X, every other byte a space.
_DIGIT_THEN_MARK = bytes(
    ord("D") if chr(b).isdigit() and b < 128 else ord("X") if b in b".eE" else ord(" ")
    for b in range(256))


def content_hash(payload: Any) -> str:
    return hashed(payload)[1]


def hashed(payload: Any) -> tuple[bytes, str]:
    """The canonical bytes of a payload and their SHA-256 (hex), for callers that store both."""
    text = canonical(payload)
    return text, hashlib.sha256(text).hexdigest()


def _months(span: Line | UISpan) -> int:
    """Months in a line or span (``months_between`` on indices: called for every sheet row)."""
    return max(0, span.to_month.index - span.from_month.index + 1)


def _header(h: Header) -> dict[str, Any]:
    return {"personal_id": h.personal_id, "legacy_si_code": h.legacy_si_code,
            "full_name": h.full_name, "birth_date": h.birth_date.isoformat(), "sex": h.sex,
            "nationality": h.nationality, "realm": h.realm}


def _row(r: Line, owed: Sequence[OwedMonth]) -> dict[str, Any]:
    row: dict[str, Any] = {"from": str(r.from_month), "to": None if r.ongoing else str(r.to_month),
                           "months": _months(r), "kind": r.kind,
                           "employer_code": r.employer_code, "employer_name": r.employer_name,
                           "job_title": r.job_title, "salary_basis": r.salary_basis,
                           "allowances": r.allowances, "employer": r.employer_share,
                           "employee": r.employee_share}
    if r.state_scale:  # absent from other rows: books of employer-set pay stay as they were
        row["state_scale"] = True
    if r.kind == "voluntary":  # the row's months the participant has not paid in full
        row["unpaid"] = [{"month": str(m.month), "status": m.status, "due": m.due,
                          "paid": m.paid}
                         for m in owed if r.from_month <= m.month <= r.to_month]
    return row


def _voluntary(v: VoluntaryPaid) -> dict[str, Any]:
    return {"payments": [{"paid_on": day.isoformat(), "reference": reference, "amount": amount}
                         for day, reference, amount in v.payments],
            "paid": sum(amount for _, _, amount in v.payments), "credit": v.credit}


def _ui(u: UISpan) -> dict[str, Any]:
    return {"from": str(u.from_month), "to": None if u.ongoing else str(u.to_month),
            "months": _months(u),
            "employer_code": u.employer_code, "salary_basis": u.salary_basis}


def _hi(h: HISpan) -> dict[str, Any]:
    return {"card_number": h.card_number, "benefit_level": h.benefit_level,
            "valid_from": h.valid_from.isoformat(), "valid_to": h.valid_to.isoformat(),
            "initial_kcb_place": h.initial_kcb_place}


def _arrear(a: Arrear) -> dict[str, Any]:
    return {"month": str(a.month), "employer_code": a.employer_code, "status": a.status,
            "withheld": a.withheld, "employer_due": a.employer_due,
            "employer_paid": a.employer_paid}


def _refuse_float(token: str) -> None:
    raise TypeError(f"floats have no canonical form; use int (VND) or str: {token}")
