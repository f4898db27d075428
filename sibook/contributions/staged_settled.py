"""The benefits settled on the records a declaration's lines would change.

A settled pension or one-time withdrawal averaged its worker's record as it stood at the
decision (``benefits.records.averaged_of``): a pension the months up to the decision's month, a
withdrawal, for someone who had stopped contributing, the months before it (a job from the
decision's month on starts a new record). Its amounts rest on that average. Every line
changes its worker's months from its own month on (a DC re-prices them, an increase adds them,
a decrease takes them away), so a line from such a month is refused (``staged_checks``),
naming the benefit, its dossier and its decision to the unit it was decided in the worker's
time with, and only its kind to any other (``DECIDED_OUTSIDE_ITS_TIME``).

The law does not leave such a benefit as it was: once the contributions the employer owed are
collected, the SI agency confirms the period added and adjusts the benefit (Decree
158/2025/ND-CP, implementing Law 41/2024, as Lao Động reported it: "Lương hưu của người lao
động nếu doanh nghiệp nợ BHXH", laodong.vn, article 1653385; the article's number was not found
in the text at hand). sibook re-computes no settled benefit, and a monthly list is no place to
re-open one: the refusal sends the officer to that re-computation, where the corrected months
are recorded with the benefit adjusted on them.

A settled pension also keeps its worker out of every later list, from the first month it pays
on: a person receiving a pension is not subject to compulsory SI (Law 41/2024/QH15 Art
2(7)(a), "Người đang hưởng lương hưu"; Law 58/2014/QH13 Art 123(9) before 2025-07, as BHXH
TP.HCM, nld.com.vn 2019-10, and hddtvn.com read it), so not to the OA/OD insurance either,
which covers the compulsory participants (Law on OSH 84/2015/QH13 Art 43(1), as Law 41/2024
Art 139(1)(b) words it). No fund is left to price (their HI is the SI agency's 4.5% of the
pension, FACTS §3.6; UI excluded them by Law on Employment 38/2013 Art 43(2)), so a line that
would open or re-price a period from such a month (TM, TD, TC, TT, DC) is refused; a decrease
is taken, as it ends a period left open.

A pension may start after the month it was decided in (a decision paying from a later month):
the months between are neither averaged nor paid by it, and a job may fill them. A pension is
paid on leaving work (Law 41/2024/QH15 Art 64(1); its start is the day the employer's
termination records, Art 69(1)), which ``benefits.left_work`` checks when it is settled, and from
its first month its worker is outside compulsory SI: a period opened or re-priced from such a
month must end before the pension's first month, so a line from one is refused unless a
decrease in the same list, from that first month at the latest, ends it (``RUNS_INTO_PENSION``).
Before, such a job ran on open into the months the pension pays, charged at every fund's rate.

The file's persons are looked up at once, after its first step's look-up: every person's first
line is in step 1 (``staged_steps``), so that look-up has found each of them once, by index.
One query however many lines (``decl_settled`` holds the few found, which the checks join);
joined through the persons table again, PostgreSQL read every person (0.27 s for a 100,000-line
file at 300,000 persons, 1,000 of them with a withdrawal settled, where this takes 0.05 s; a
2-core VM at load 4).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, column, text

from sibook.benefits.domain import Regime
from sibook.benefits.records import AveragedBy, averaged_of
from sibook.contributions import staging
from sibook.contributions.case_sql import DECREASE, OPENS
from sibook.core.bulk import write
from sibook.core.period import Period

_BENEFIT = {Regime.PENSION: "pension", Regime.LUMP_SUM: "one-time withdrawal"}

# Joined to a step's lines (``s``, looked up as ``l``): the benefit settled on the worker's
# record (as ``a``), and whether the line's month is one it averaged.
JOIN = "LEFT JOIN decl_settled a ON a.person_id = l.person_id"
AVERAGED = "s.from_month <= a.last_month"
# A line opening or re-pricing a period from a month the worker's pension pays, past the
# months it averaged (those are ``AVERAGED``'s to refuse).
PENSIONER = (f"s.case_code IN {OPENS} AND s.from_month >= a.pension_from "
             "AND s.from_month > a.last_month")
# A line opening or re-pricing a period from a month after those the pension averaged and
# before its first, which no later decrease of the same list ends by that first month: the
# period would run on into the months the pension pays. The decrease is looked for only for
# the few lines in those months: the first test is false (never null) for a worker with no
# pension, which stops the AND there on both stores (decl_staging has no index by person).
RUNS_INTO_PENSION = (f"a.pension_from IS NOT NULL AND s.case_code IN {OPENS} "
                     "AND s.from_month > a.last_month "
                     "AND s.from_month < a.pension_from AND NOT EXISTS (SELECT 1 FROM "
                     "decl_staging x WHERE x.personal_id = s.personal_id AND x.step > s.step "
                     f"AND x.case_code IN {DECREASE} AND x.from_month <= a.pension_from)")
# A benefit decided outside the worker's time with the filing unit: after they left it (past
# the month after their last with it, the leaving a pension is paid on), or before it took them
# on. What their record became since, or was before, is not the unit's to learn (an employer
# sees a worker's months with it only, ``sibook.access.former_workers``): such a line is refused
# by the OUTSIDE_ITS_TIME reasons, naming no dossier, decision or month of the benefit.
# Computed only for the few lines of a worker with a settled benefit.
DECIDED_OUTSIDE_ITS_TIME = (
    "CASE WHEN a.person_id IS NULL THEN 1 = 0 ELSE NOT EXISTS (SELECT 1 FROM si_periods x "
    "WHERE x.person_id = l.person_id AND x.employer_id = :e "
    "AND x.from_month <= a.decided_month "
    "AND (x.to_month IS NULL OR a.decided_month <= x.to_month + 1)) END")
COLUMNS = ("a.benefit", "a.dossier_no", "a.decision_no", "a.decided_on",
           "a.last_month AS averaged_to", "a.last_month + 1 AS free_month", "a.pension_from",
           # The first month a decrease ending the period is taken: neither averaged nor
           # before the pension.
           "CASE WHEN a.pension_from > a.last_month THEN a.pension_from "
           "ELSE a.last_month + 1 END AS ends_from")
REASON = ("from_month", "{from_month} is in the record the worker's settled {benefit} averaged "
                        "(dossier {dossier_no}, decision {decision_no} of {decided_on}, the "
                        "months up to {averaged_to}): a list cannot change that record's pay or "
                        "months; the SI agency re-computes the benefit on the corrected months "
                        "once the contributions owed are collected (Decree 158/2025/ND-CP) and "
                        "records them then; lines from {free_month} on are outside that record")
PENSIONER_REASON = ("from_month", "{from_month} is a month the worker's settled pension pays "
                                  "(dossier {dossier_no}, decision {decision_no} of "
                                  "{decided_on}, from {pension_from}): a person receiving a "
                                  "pension is not subject to compulsory SI, nor so to OA/OD "
                                  "insurance (Law 41/2024/QH15 Art 2(7)(a), Art 139(1)(b); Law "
                                  "58/2014/QH13 Art 123(9) before 2025-07), and no list "
                                  "takes them on or re-prices their pay from then; a period "
                                  "still open here is ended by a decrease from {ends_from}")
RUNS_INTO_PENSION_REASON = (
    "from_month", "{from_month} is after the record the worker's settled pension averaged and "
                  "before its first month {pension_from} (dossier {dossier_no}, decision "
                  "{decision_no} of {decided_on}): a period from it may not run on into the "
                  "months the pension pays, as a pension is paid on leaving work (Law "
                  "41/2024/QH15 Art 64(1), Art 69(1)) and a person receiving one is not "
                  "subject to compulsory SI (Art 2(7)(a)); the same list ends the period with "
                  "a decrease from {pension_from} at the latest (the list of {pension_from} or "
                  "a later month can carry both lines)")
# The same refusals to a unit the benefit was decided outside the worker's time with
# (DECIDED_OUTSIDE_ITS_TIME): what the line may not do and why, with the kind of benefit, as a
# former worker's refusal names another employer's open period (``staged_checks``), never its
# dossier, decision, date or months, which the worker's e-SI book shows them.
OUTSIDE_ITS_TIME = {
    "averaged": ("from_month", "{from_month} is in the record a pension or one-time withdrawal, "
                               "settled outside the worker's time with this unit, averaged: a "
                               "list cannot change that record's pay or months; the SI agency "
                               "re-computes the benefit on the corrected months once the "
                               "contributions owed are collected (Decree 158/2025/ND-CP) and "
                               "records them then; the worker's e-SI book shows the months "
                               "that record holds"),
    "pensioner": ("from_month", "{from_month} is a month a pension, settled outside the "
                                "worker's time with this unit, pays: a person receiving a "
                                "pension is not subject to compulsory SI, nor so to OA/OD "
                                "insurance (Law 41/2024/QH15 Art 2(7)(a), Art 139(1)(b); Law "
                                "58/2014/QH13 Art 123(9) before 2025-07), and no list takes "
                                "them on or re-prices their pay from then (their e-SI book "
                                "shows the pension's first month)"),
    "into_pension": ("from_month", "{from_month} is before the first month of a pension, "
                                   "settled outside the worker's time with this unit: a period "
                                   "from it may not run on into the months the pension pays "
                                   "(Law 41/2024/QH15 Art 64(1), Art 69(1), Art 2(7)(a)); the "
                                   "same list ends the period with a decrease from that first "
                                   "month at the latest (their e-SI book shows it)"),
}
# Law 58/2014 in force: the first month the exclusion is read for (no pension sibook settles
# starts earlier, ``rules.pension.check_priced``).
PENSIONER_RULE = Period(2016, 1)


# The persons step 1's lines were found for: the file's, each once.
_FOUND = text("SELECT person_id FROM decl_lookup WHERE person_id IS NOT NULL").columns(
    column("person_id", BigInteger))


def note(conn: Connection) -> None:
    """Write the settled benefit averaging the latest month of each worker the lines name, if
    any (``decl_settled``). Called once, after step 1's look-up, before the filing's first
    change, the workers' turns taken before that look-up (``record_turns.filing``): a
    settlement for one of them under way has ended and is read here, and one begun later waits
    for the filing."""
    settled = averaged_of(session=conn, persons=_FOUND)
    write(conn, "decl_settled",
          ("person_id", "last_month", "benefit", "dossier_no", "decision_no", "decided_on",
           "decided_month", "pension_from"),
          [(person_id, a.last.index, _BENEFIT.get(a.regime, str(a.regime)), a.dossier_no,
            a.decision_no, a.decided_on.isoformat(), Period.of(a.decided_on).index,
            _excluded_from(a))
           for person_id, a in settled.items()])
    staging.analyze(conn, "decl_settled")


def _excluded_from(a: AveragedBy) -> int | None:
    """The first month a pension keeps its worker out of compulsory SI (``PENSIONER``), as a
    month index; None for a withdrawal."""
    return None if a.pension_from is None else max(a.pension_from, PENSIONER_RULE).index
