"""Filing a monthly declaration: parse, check, apply, assess, all in one transaction.

Idempotent: the key is the file's content hash with employer, month and batch; filing the same
content again answers the first result and changes nothing. A refused filing changes nothing
either: every check runs before the first change, and the transaction is all-or-nothing.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sibook import law
from sibook.benefits import record_turns
from sibook.book import service as book
from sibook.contributions import (
    ledger,
    staged_back_pay,
    staged_cards,
    staged_checks,
    staged_leave,
    staged_lookup,
    staged_periods,
    staged_settled,
    staged_steps,
    staging,
)
from sibook.contributions.domain import ADJUSTMENTS, DeclarationMeta, content_hash
from sibook.contributions.ledger_store import Declaration, LedgerEntry
from sibook.contributions.parsers import Source, detect_format, read_frames
from sibook.contributions.statement import DEADLINE_RULE
from sibook.contributions.store import SIPeriod
from sibook.contributions.validate import check_frame
from sibook.core.errors import ConflictError, Problem, ValidationError, capped
from sibook.core.period import Period
from sibook.law.tables import NoRuleInForce
from sibook.registry import hi_cards
from sibook.registry import reading as registry

Progress = Callable[[str, int], None]
# Registrations (TK1-TS) file their start line in batch 0, keyed by content alone, so they never
# take a batch number the employer's own D02-LT filings of the month will use.
REGISTRATION_BATCH = 0
MAX_BATCH = 99  # batches (đợt) a month: the forms number them with two digits


def declare(
    *,
    session: Session,
    data: Source,
    file_name: str,
    employer_code: str,
    month: Period,
    batch_no: int = 1,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """File ``data`` (CSV, XLSX or JSON by ``file_name``; bytes, or a path to stream from) for
    ``employer_code`` and ``month``."""
    say = progress or (lambda _stage, _n: None)
    if month > Period.of(date.today()) + 1:
        # The ledger is append-only: dues posted for a month years ahead could only be reversed.
        raise ValidationError(field="month", reason=f"{month} is more than a month ahead of "
                              "today; a list is filed for at most the next month (a late one "
                              "for an earlier month is taken)")
    meta = DeclarationMeta(
        employer_code, month, batch_no, content_hash(data), detect_format(file_name)
    )
    with _read_ahead(data, meta.file_format, say) as frames:
        return _file(session, meta, frames, say)


def _file(session: Session, meta: DeclarationMeta, frames: Iterable[pl.DataFrame],
          say: Progress) -> dict[str, Any]:
    month, batch_no = meta.month, meta.batch_no
    employer = registry.employer_by_code(session=session, code=meta.employer_code, lock=True)
    conn = session.connection()
    earlier, taken = _earlier(conn, employer.employer_id, meta)
    if earlier is not None:
        return {**json.loads(earlier), "replayed": True}
    # A batch filed before with other content is refused, but only after the file is checked:
    # told alone, it would have the employer file again under a new number to learn only then
    # what is wrong with the file. Its problems and the batch's come in one report.
    batch = [] if taken is None else [Problem(field="batch", reason=str(taken))]
    problems: list[Problem] = []
    staging.create(conn)
    lines, si_codes = 0, False
    staged = staging.Staged()
    try:
        for frame in frames:
            typed, found = check_frame(frame, month)
            problems += found
            si_codes = si_codes or typed["si_code"].is_not_null().any()
            bad_rows = {p.row for p in found}
            staging.stage(conn, typed.filter(~typed["row"].is_in(list(bad_rows))), staged)
            lines += frame.height
            say("checked", lines)
        if lines == 0:
            raise ValidationError(field="file", reason="the declaration has no lines")
    except ValidationError as unread:  # a file that cannot be read, or has no lines
        raise ValidationError([*batch, *unread.problems]) from unread
    staging.analyze(conn, "decl_staging")
    problems += _set_minimums(conn, employer.region, month, staged.months)
    problems += _months_without_deadline(conn, staged.months)
    steps, repeated = staged_steps.order_steps(conn, staged.lines, employer.employer_id)
    problems += repeated
    today = date.today()
    staged_cards.set_card_dates(conn, staged.months,
                                lambda start: hi_cards.validity(start, today))
    province = hi_cards.card_province(employer.province_code)
    # Read before the filing changes the periods: where the ledger begins, the dues before.
    began = _began(conn, employer.employer_id, min(staged.months, default=month))
    whole_from = min(began, ledger.LEDGER_BEGINS)  # months before it are carried
    months = (_months_to_assess(conn, employer.employer_id, month, min(staged.months),
                                whole_from)
              if staged.months else [])  # none: every line refused, nothing assessed
    carried = ledger.payroll(conn, [m for m in months if m < whole_from],
                             [employer.employer_id])
    issue_cards = partial(staged_cards.issue_hi_cards,
                          number_prefix=hi_cards.number_prefix(province),
                          group_code=hi_cards.EMPLOYEE_GROUP,
                          benefit_level=hi_cards.EMPLOYEE_LEVEL, province_code=province)
    changed: Counter[str] = Counter()
    paid_before = partial(book.voluntary_paid_before_many, session=session, as_of=today)
    # Not while a benefit of one of its persons is settled: that may end their voluntary period.
    record_turns.filing(conn, staged.lines)
    for step in range(1, steps + 1):
        staged_lookup.look_up(conn, step, employer.employer_id, employer.realm)
        if step == 1:  # it found every worker: the benefits settled on their records
            staged_settled.note(conn)
        if not staged.codes.keys().isdisjoint(ADJUSTMENTS):
            staged_back_pay.limit_cover(conn, employer.employer_id, step)
        if "GH" in staged.codes:  # a worker on leave who leaves: the period the leave ended
            staged_leave.look_up(conn, employer.employer_id, step)
        # A line whose name or SI code is not its person's: told as such, and nothing more.
        misnamed = staged_checks.name_problems(conn, step)
        if si_codes:
            misnamed += staged_checks.si_code_problems(conn, step)
        found = staged_checks.problems(conn, employer.employer_id, employer.region, step, misnamed)
        problems += found
        if step == steps and (problems or batch):
            break
        # The steps after this one are checked against what it changes; a refused filing
        # rolls all of it back.
        staged_steps.set_aside(conn, [p.row for p in found if p.row is not None])
        with _numbers_not_taken_since_the_look_up(conn):
            changed.update(staged_periods.apply(conn, employer.employer_id,
                                                employer.occupational_rate_bp, step,
                                                card_group=hi_cards.EMPLOYEE_GROUP,
                                                case_codes=staged.codes,
                                                paid_before=paid_before))
            changed["hi_cards_issued"] += issue_cards(conn, step)
    if problems:
        raise _refusal([*batch, *problems], staging.named_person_ids(conn))
    if taken is not None:
        # The file is good: the batch is all that is wrong (409). Its first steps were applied
        # to check the later ones against: the caller's rollback undoes them, as a refusal's.
        raise taken
    say("applied", lines)
    entries = ledger.assess(conn, months, [employer.employer_id], before=carried)
    result = {
        "employer": employer.code,
        "month": str(month),
        "batch": batch_no,
        "lines": lines,
        "format": meta.file_format,
        "content_hash": meta.content_hash,
        "case_codes": staged.case_codes(),
        "periods_closed": changed["periods_closed"],
        "periods_opened": changed["periods_opened"],
        "hi_cards_issued": changed["hi_cards_issued"],
        "dues": {str(Period.from_index(e["period"])): e["total"] for e in entries},
    }
    declaration_id = _record(conn, employer.employer_id, meta, lines, result)
    ledger.post(conn, entries, declaration_id, began=began)
    ledger.allocate(conn, employer.employer_id)
    say("posted", lines)
    return {"declaration_id": declaration_id, **result, "replayed": False}


# A new period or card is numbered after the last one its look-up saw. Another employer's
# filing may take that number for the same worker before this one writes it (the employer's
# lock serialises only its own filings): PostgreSQL then refuses the duplicate key.
_NUMBERED_KEYS = {"pk_si_periods", "pk_ui_periods", "pk_hi_cards"}


class ConcurrentFiling(ConflictError):
    """Another filing changed the same workers' periods while this one was checked against
    them: nothing of this one is kept (the transaction is aborted), and filing it again
    checks it against what the other left. ``person_ids``: whom its checks read, for the
    access log, as a refused filing's."""

    def __init__(self, person_ids: list[int]) -> None:
        super().__init__("another filing changed the same workers at the same time; nothing "
                         "was filed, file again", field="file")
        self.person_ids = person_ids


@contextmanager
def _numbers_not_taken_since_the_look_up(conn: Connection) -> Iterator[None]:
    # A savepoint: after the duplicate key PostgreSQL refuses every statement of the
    # transaction, and the persons read must still be named.
    try:
        with conn.begin_nested():
            yield
    except IntegrityError as exc:
        if getattr(getattr(exc.orig, "diag", None), "constraint_name", None) in _NUMBERED_KEYS:
            raise ConcurrentFiling(staging.person_ids(conn)) from exc
        raise


@contextmanager
def _read_ahead(data: Source, fmt: str, say: Progress) -> Iterator[Iterable[pl.DataFrame]]:
    """The file's frames. An XLSX is read whole first, into Arrow files in a temporary folder
    (memory stays flat): openpyxl takes ~120 us a row, which must not be spent holding the
    employer's lock, or on the embedded store every writer's. CSV and JSON are read by Polars
    as the filing goes, faster than it can stage them."""
    if fmt != "xlsx":
        yield read_frames(data, fmt)
        return
    with tempfile.TemporaryDirectory(prefix="sibook-xlsx-") as folder:
        parts, lines = [], 0
        try:
            for number, frame in enumerate(read_frames(data, fmt)):
                part = Path(folder) / f"{number:06d}.arrow"
                frame.write_ipc(part)
                parts.append(part)
                lines += frame.height
                say("read", lines)
        except ValidationError as unread:
            # Raised where a CSV's would be, as the filing reads its frames: in one report with
            # what the filing finds before (a batch filed with other content).
            yield _raising(unread)
            return
        yield (pl.read_ipc(part, memory_map=False) for part in parts)


def _raising(exc: ValidationError) -> Iterator[pl.DataFrame]:
    raise exc
    yield  # a generator: raises when read


def filed_before(*, session: Session, data: bytes, file_name: str, employer_code: str,
                 month: Period, batch_no: int) -> dict[str, Any] | None:
    """The answer ``declare`` gave this very filing (``replayed``), if it was made before;
    None otherwise. Reads only: a registration sent again finds its start line's filing."""
    employer = registry.employer_by_code(session=session, code=employer_code)
    meta = DeclarationMeta(employer_code, month, batch_no, content_hash(data),
                           detect_format(file_name))
    earlier, _ = _earlier(session.connection(), employer.employer_id, meta)
    return None if earlier is None else {**json.loads(earlier), "replayed": True}


def _earlier(conn: Connection, employer_id: int, meta: DeclarationMeta
             ) -> tuple[str | None, ConflictError | None]:
    """The stored result of this very filing, if made before; or the refusal of a batch filed
    before with other content, if it was."""
    rows = conn.execute(
        select(Declaration.declaration_id, Declaration.content_hash, Declaration.result).where(
            Declaration.employer_id == employer_id,
            Declaration.period == meta.month.index,
            Declaration.batch_no == meta.batch_no,
        )
    ).all()
    for declaration_id, digest, result in rows:
        if digest == meta.content_hash:
            return json.dumps({"declaration_id": declaration_id, **json.loads(result)}), None
    if rows and meta.batch_no != REGISTRATION_BATCH:
        free = next_batch(conn, employer_id, meta.month)
        return None, ConflictError(
            f"batch {meta.batch_no} of {meta.month} was already filed by {meta.employer_code} "
            f"with different content; " + (f"file the changes as batch {free}"
                                            if free <= MAX_BATCH else
                                            f"all {MAX_BATCH} batches of the month are filed: "
                                            f"file the changes in a later month's list"),
            field="batch")
    return None, None


def next_batch(conn: Connection, employer_id: int, month: Period) -> int:
    last = conn.execute(
        select(func.max(Declaration.batch_no)).where(
            Declaration.employer_id == employer_id, Declaration.period == month.index
        )
    ).scalar()
    return int(last or 0) + 1


def _set_minimums(conn: Connection, region: str, month: Period,
                  declared: set[Period]) -> list[Problem]:
    """The regional minimum of every month from the earliest line's (of the months ``declared``
    by the staged lines) to the declared month: a line's pay must meet each month it covers,
    not only its first (a minimum raised since)."""
    minimums: dict[Period, int] = {}
    unknown: dict[int, str] = {}
    first = min(declared, default=month)
    for m in (first + n for n in range(month - first + 1)):
        try:
            minimums[m] = law.regional_minimum(region, m).value
        except NoRuleInForce as exc:
            if m in declared:
                unknown[m.index] = exc.problems[0].reason
    staged_checks.set_minimums(conn, minimums)
    return _refused_months(conn, unknown)


def _months_without_deadline(conn: Connection, declared: set[Period]) -> list[Problem]:
    """The lines from a month before the deadline rule's first (2020-01): their dues would
    have no deadline, and every read of the employer's ledger, or of its workers' books, would
    be refused naming that month."""
    unknown: dict[int, str] = {}
    for m in declared:
        try:
            law.parameter(DEADLINE_RULE, m)
        except NoRuleInForce as exc:
            unknown[m.index] = exc.problems[0].reason
    return _refused_months(conn, unknown)


def _refused_months(conn: Connection, unknown: dict[int, str]) -> list[Problem]:
    """Each staged line from one of the ``unknown`` months (index: reason), refused."""
    if not unknown:
        return []
    return [
        Problem(field="from_month", reason=unknown[month], row=row)
        for row, month in staging.rows_in_months(conn, list(unknown))
    ]


def _months_to_assess(conn: Connection, employer_id: int, month: Period, earliest: Period,
                      whole_from: Period) -> list[Period]:
    """From the earliest month the filing changed (``earliest``, its lines' first; or the month
    after the last one assessed before the declared month, so months without changes still
    fall due) up to the declared month, or to the last month already assessed if later: a
    back-dated change must correct the dues of every month already charged, not only those up
    to the declared month. A filing reaching months carried over (before ``whole_from``) assesses
    them all: nothing else assesses such a month (``ledger assess`` begins where the ledger
    does), so a list filed late for 2025-06 posts what its workers owe for the months after."""
    last, latest = conn.execute(
        select(func.max(LedgerEntry.period).filter(LedgerEntry.period < month.index),
               func.max(LedgerEntry.period))
        .where(LedgerEntry.employer_id == employer_id)
    ).one()
    first = min(earliest, Period.from_index(int(last) + 1)) if last is not None else earliest
    end = max(month, Period.from_index(int(latest))) if latest is not None else month
    if first < whole_from:
        end = max(end, whole_from - 1)
    return list(ledger.months_to_assess(first, end))


def _began(conn: Connection, employer_id: int, earliest: Period) -> Period:
    """Where the employer's ledger holds every month whole from (``ledger.began``); for its
    first filing, the month the filing reaches first, or 2026-01 (``LEDGER_BEGINS``) for an
    employer with periods carried over from before: a list filed late for one of its months
    is no sign that its carried workers' dues were not settled outside the ledger. A month
    before it and before 2026 is carried: a filing that changes one posts its own change,
    counted from what the periods said before it, not the month's whole payroll again."""
    began = ledger.began(conn, employer_id)
    if began is not None:
        return began
    carried = conn.execute(select(SIPeriod.person_id).where(
        SIPeriod.employer_id == employer_id,
        SIPeriod.from_month < ledger.LEDGER_BEGINS.index).limit(1)).first()
    return ledger.LEDGER_BEGINS if carried is not None else earliest


def _record(
    conn: Connection, employer_id: int, meta: DeclarationMeta, lines: int, result: dict[str, Any]
) -> int:
    inserted = conn.execute(
        insert(Declaration)
        .values(
            employer_id=employer_id,
            period=meta.month.index,
            batch_no=meta.batch_no,
            content_hash=meta.content_hash,
            idempotency_key=meta.idempotency_key,
            file_format=meta.file_format,
            lines=lines,
            result=json.dumps(result, ensure_ascii=False),
        )
        .returning(Declaration.declaration_id)
    )
    return int(inserted.scalar_one())


class DeclarationRefused(ValidationError):
    """A refused filing, with the persons it named that the registry knows, in any realm: what
    they were checked against (open periods, the last month worked; for another realm's,
    whether they are registered) was read, so it is logged."""

    def __init__(self, problems: list[Problem], person_ids: list[int]) -> None:
        super().__init__(problems)
        self.person_ids = person_ids


def _refusal(problems: list[Problem], person_ids: list[int]) -> DeclarationRefused:
    return DeclarationRefused(capped(problems), person_ids)
