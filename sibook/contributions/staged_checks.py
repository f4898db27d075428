"""The checks of a step's staged lines against the database (unknown person, overlapping
periods, pay below the regional minimum, ...): one pass over the lines, then each refusal with
its reason. The checks that need only the line are in ``validate``."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, text

from sibook.contributions import staged_leave, staged_settled
from sibook.contributions.case_sql import (
    ADJUST,
    CLOSES,
    DECREASE,
    ENDS_VOLUNTARY,
    INCREASE,
    OPENS,
)
from sibook.contributions.domain import INCREASES
from sibook.contributions.staged_back_pay import BACK, COVERED
from sibook.core.bulk import write
from sibook.core.errors import Problem
from sibook.core.period import Period
from sibook.registry.domain import same_name


def set_minimums(conn: Connection, minimums: dict[Period, int]) -> None:
    """Each month's minimum, and the highest from it to the last month given (the declared
    one): a line is below a minimum it covers if its pay is below the highest of its first
    month, so the check stays one equality join."""
    rows, highest = [], 0
    for m in sorted(minimums, reverse=True):
        highest = max(highest, minimums[m])
        rows.append((m.index, minimums[m], highest))
    write(conn, "decl_minimum", ("from_month", "minimum", "highest"), rows)


# Every check of a line against the database, as a flag column: one pass over the lines (the
# nine checks took nine), then each raised flag becomes a problem with its reason.
_CHECKS = f"""
SELECT c.*, c.below_month IS NOT NULL AS below_minimum, b.minimum FROM (
    SELECT s.row, s.personal_id, s.salary, s.from_month, d.aside_row, s.case_code,
           {", ".join(staged_settled.COLUMNS)},
           s.full_name IS NOT NULL AS named,
           l.open_employer AS employer, l.open_from AS open_month, l.last_to AS last_month,
           l.row IS NULL AS unknown, l.with_employer IS NULL AS outsider,
           d.aside_row IS NOT NULL AS after_refused,
           -- The first month the line covers whose minimum its pay is below; looked for only
           -- where the highest minimum to the declared month is above it (few lines).
           CASE WHEN s.case_code IN {OPENS} AND s.salary < m.highest THEN
               (SELECT min(x.from_month) FROM decl_minimum x
                WHERE x.from_month >= s.from_month AND x.minimum > s.salary
                  AND (s.covers_to IS NULL OR x.from_month <= s.covers_to)) END AS below_month,
           s.case_code IN {INCREASE} AND l.open_seq IS NOT NULL
               AND NOT ({ENDS_VOLUNTARY}) AS still_open,
           s.case_code IN {INCREASE} AND l.open_seq IS NULL AND s.from_month <= l.last_to
               AS overlaps_last,
           s.case_code IN {CLOSES}
               AND (l.open_seq IS NULL OR l.open_employer IS NULL OR l.open_employer <> :e)
               AND NOT ({BACK} AND {COVERED}) AND lv.row IS NULL AS nothing_to_close,
           {staged_leave.BEFORE_LEAVE} AS before_leave, lv.to_month AS leave_to,
           lv.closed_by AS leave_by, lv.to_month + 1 AS leave_from,
           s.case_code IN {DECREASE} AND l.open_employer = :e AND s.from_month < l.open_from
               AS decrease_too_early,
           s.case_code IN {ADJUST} AND l.open_employer = :e AND s.from_month < l.open_from
               AND NOT {COVERED} AS adjustment_too_early,
           s.case_code IN {INCREASE} AND s.full_name IS NULL AND l.with_employer IS NULL
               AS name_required,
           {staged_settled.DECIDED_OUTSIDE_ITS_TIME} AS outside_its_time,
           {staged_settled.AVERAGED} AS averaged,
           {staged_settled.PENSIONER} AS pensioner,
           {staged_settled.RUNS_INTO_PENSION} AS into_pension
    FROM decl_staging s
    LEFT JOIN decl_lookup l ON l.row = s.row
    {staged_settled.JOIN}
    {staged_leave.JOIN}
    LEFT JOIN decl_minimum m ON m.from_month = s.from_month
    LEFT JOIN (SELECT personal_id, min(row) AS aside_row FROM decl_staging
               WHERE step < 0 AND -step < :step GROUP BY personal_id) d
           ON d.personal_id = s.personal_id
    WHERE s.step = :step
) c
LEFT JOIN decl_minimum b ON b.from_month = c.below_month
WHERE unknown OR after_refused OR below_month IS NOT NULL OR still_open OR overlaps_last
   OR nothing_to_close OR before_leave OR decrease_too_early OR adjustment_too_early
   OR name_required OR averaged OR pensioner OR into_pension
"""
# flag: (field, reason); the reason's {names} are columns of the row.
_REASONS = {
    "unknown": ("personal_id", "no registered person has personal ID {personal_id}"),
    "after_refused": ("personal_id", "not checked: it applies after row {aside_row} of the "
                                     "same person, which is refused"),
    "below_minimum": ("salary", "{salary:,} is below the regional minimum wage {minimum:,} for "
                                "region {region} in {below_month}"),
    "still_open": ("case_code", "overlapping periods: this person already has an open period "
                                "with this employer since {open_month}"),
    "overlaps_last": ("from_month", "overlapping periods: this person already has participation "
                                    "recorded in or after this month; the increase must start "
                                    "after it (their e-SI book shows their periods)"),
    "nothing_to_close": ("case_code", "decrease or adjustment without a prior increase: this "
                                      "person has no open period with this employer"),
    "before_leave": staged_leave.BEFORE_LEAVE_REASON,
    "decrease_too_early": ("from_month", "a decrease cannot start before the open period "
                                         "does ({open_month})"),
    "adjustment_too_early": ("from_month", "an adjustment from before the open period "
                                           "({open_month}) corrects a month the worker was "
                                           "insured with this employer, and no period with "
                                           "it covers {from_month}"),
    # Without it, any employer could put any registered person on its payroll and so read
    # their record: the name on their ID card is what the employer must know of them.
    "name_required": ("full_name", "required for a worker new to this employer, as on their "
                                   "ID card"),
    "averaged": staged_settled.REASON,
    "pensioner": staged_settled.PENSIONER_REASON,
    "into_pension": staged_settled.RUNS_INTO_PENSION_REASON,
}
# Where a former worker is employed now is not the filing employer's business: the reason
# says another employer must act, not which one, nor since when.
_ELSEWHERE = {"still_open": ("case_code", "overlapping periods: this person still has an open "
                                          "period with another employer, which must report "
                                          "the decrease first")}
# Nor, of a former worker now paying voluntary SI, since when: the increase is refused as
# starting too early (their e-SI book, and the worker, know the month).
_VOLUNTARY = {"still_open": ("case_code", "overlapping periods: this person pays voluntary SI "
                                          "from this month or an earlier one; compulsory "
                                          "participation from a month after the voluntary "
                                          "period's first ends it (their e-SI book shows it), "
                                          "none starts in or before that month")}
_MONTHS = ("from_month", "open_month", "last_month", "below_month", "averaged_to",
           "free_month", "pension_from", "ends_from", "leave_to", "leave_from")
# Whether a person the employer never had a period with is registered, employed elsewhere or
# paying voluntary SI is not the employer's business: a line for such an outsider is refused
# for what the line and the employer's own records say (an increase without the name, a
# decrease of no period of its own), else with one reason, whatever the person's record holds
# (not registered, another name, an SI period in the way) -- the worker's e-SI book says which.
_OUTSIDER = ("personal_id", "no registered person with personal ID {personal_id} and this "
                            "full_name (and si_code, if given) can be taken on from "
                            "{from_month}: the ID and name must be one registered person's, as "
                            "on their ID card, whose SI periods leave that month free (none "
                            "open with another employer, none recorded in or after it) and "
                            "whose pension, if any, does not pay it (their e-SI book shows "
                            "them); a person not yet registered is registered first (TK1-TS)")
_ABOUT_THE_PERSON = ("unknown", "still_open", "overlaps_last", "nothing_to_close",
                     "name_required", "averaged", "pensioner", "into_pension")


def _told_an_outsider(row: int, personal_id: str, case_code: str, from_month: int | None,
                      named: bool) -> Problem:
    """The one refusal of an outsider's line (:data:`_OUTSIDER`), from the line alone."""
    flag = ("nothing_to_close" if case_code not in INCREASES
            else "name_required" if not named else None)
    field, reason = _REASONS[flag] if flag else _OUTSIDER
    month = _month(from_month) if from_month is not None else "its month"
    return Problem(field=field, row=row,
                   reason=reason.format(personal_id=personal_id, from_month=month))


def problems(conn: Connection, employer_id: int, region: str, step: int,
             misnamed: Collection[Problem] = ()) -> list[Problem]:
    """Every line of ``step`` the database refuses, with the reason, in row order, and
    ``misnamed``: the lines whose name or SI code is not their person's
    (:func:`name_problems`, :func:`si_code_problems`)."""
    found: list[Problem] = []
    refused, after = {p.row for p in misnamed}, set()
    for r in conn.execute(text(_CHECKS), {"e": employer_id, "step": step}).mappings():
        values = {k: _month(v) if k in _MONTHS and v is not None else v for k, v in r.items()}
        values["region"] = region
        employer = r["employer"]
        reasons = (_REASONS | _VOLUNTARY if employer is None
                   else _REASONS if employer == employer_id else _REASONS | _ELSEWHERE)
        if r["outside_its_time"]:  # a benefit of theirs the unit has no part in: not named
            reasons = reasons | staged_settled.OUTSIDE_ITS_TIME
        raised = [flag for flag in reasons if r[flag]]
        # A line after a refused one was checked against periods it did not expect: only that.
        if "after_refused" in raised:
            raised = ["after_refused"]
            after.add(r["row"])
        elif r["outsider"] and (r["row"] in refused or set(raised) & set(_ABOUT_THE_PERSON)):
            raised = [flag for flag in raised if flag not in _ABOUT_THE_PERSON]
            found.append(_told_an_outsider(int(r["row"]), r["personal_id"], r["case_code"],
                                           r["from_month"], bool(r["named"])))
        for flag in raised:
            field, reason = reasons[flag]
            found.append(Problem(field=field, reason=reason.format(**values), row=int(r["row"])))
    found += [p for p in misnamed if p.row not in after]
    unique = {(p.row, p.field, p.reason): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.row or 0, p.field))


def name_problems(conn: Connection, step: int) -> list[Problem]:
    """The lines of ``step`` naming someone other than the person registered with their
    personal ID (an outsider's: :data:`_OUTSIDER`). A name written as registered (the common
    case) is told apart in SQL; the others are compared as the registry compares names
    (``same_name``: case, spacing and Unicode composition aside), which SQL cannot do alike
    on both stores (SQLite's lower() folds ASCII only)."""
    rows = conn.execute(text(
        "SELECT s.row, s.personal_id, s.full_name, l.full_name, s.case_code, s.from_month, "
        "l.with_employer IS NULL FROM decl_staging s JOIN decl_lookup l ON l.row = s.row "
        "WHERE s.step = :step AND s.full_name <> l.full_name"), {"step": step}).all()
    return [_told_an_outsider(row, pid, code, month, True) if outsider else
            Problem(field="full_name", row=int(row),
                    reason=f"does not match the name registered for personal ID {pid}")
            for row, pid, given, registered, code, month, outsider in rows
            if not same_name(given, registered)]


def si_code_problems(conn: Connection, step: int) -> list[Problem]:
    """The lines of ``step`` whose SI code (``si_code``, the legacy mã số BHXH) is not the one
    registered for their personal ID (an outsider's: :data:`_OUTSIDER`); whose it is, if
    anyone's, is not said. A code equal to the personal ID names the same person. Asked only
    of filings that give SI codes."""
    rows = conn.execute(text(
        "SELECT s.row, s.personal_id, s.si_code, s.case_code, s.from_month, "
        "s.full_name IS NOT NULL, l.with_employer IS NULL FROM decl_staging s "
        "JOIN decl_lookup l ON l.row = s.row "
        "WHERE s.step = :step AND s.si_code <> s.personal_id "
        "AND (l.si_code IS NULL OR s.si_code <> l.si_code)"), {"step": step}).all()
    return [_told_an_outsider(row, pid, code, month, named) if outsider else
            Problem(field="si_code", row=int(row), reason=(
                f"SI code {si_code} is not the one registered for personal_id {pid}; both "
                "must be the worker's"))
            for row, pid, si_code, code, month, named, outsider in rows]


def _month(index: int) -> str:
    return str(Period.from_index(int(index)))

