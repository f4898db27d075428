"""The benefits settled on the records a declaration's lines would change.

A settled pension or one-time withdrawal averaged its worker's record as it stood at the
decision (``benefits.records.averaged_of``): a pension the months up to the decision's month, a
withdrawal, for someone who had stopped contributing, the months before it (a job from the
decision's month on starts a new record). Its amounts rest on that average. Every line
changes its worker's months from its own month on (a DC re-prices them, an increase adds them,
a decrease takes them away), so a line from such a month is refused (``staged_checks``),
naming the benefit, its dossier and its decision.

The law does not leave such a benefit as it was: once the contributions the employer owed are
collected, the SI agency confirms the period added and adjusts the benefit (Decree
158/2025/ND-CP, implementing Law 41/2024, as Lao Động reported it: "Lương hưu của người lao
động nếu doanh nghiệp nợ BHXH", laodong.vn, article 1653385; the article's number was not found
in the text at hand). sibook re-computes no settled benefit, and a monthly list is no place to
re-open one: the refusal sends the officer to that re-computation, where the corrected months
are recorded with the benefit adjusted on them.

The file's persons are looked up at once, after its first step's look-up: every person's first
line is in step 1 (``staged_steps``), so that look-up has found each of them once, by index.
One query however many lines (``decl_settled`` holds the few found, which the checks join);
joined through the persons table again, PostgreSQL read every person (0.27 s for a 100,000-line
file at 300,000 persons, 1,000 of them with a withdrawal settled, where this takes 0.05 s; a
2-core VM at load 4).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, column, text

from sibook.benefits import record_turns
from sibook.benefits.domain import Regime
from sibook.benefits.records import averaged_of
from sibook.contributions import staging
from sibook.core.bulk import write

_BENEFIT = {Regime.PENSION: "pension", Regime.LUMP_SUM: "one-time withdrawal"}

# Joined to a step's lines (``s``, looked up as ``l``): the benefit settled on the worker's
# record (as ``a``), and whether the line's month is one it averaged.
JOIN = "LEFT JOIN decl_settled a ON a.person_id = l.person_id"
AVERAGED = "s.from_month <= a.last_month"
COLUMNS = ("a.benefit", "a.dossier_no", "a.decision_no", "a.decided_on",
           "a.last_month AS averaged_to", "a.last_month + 1 AS free_month")
REASON = ("from_month", "{from_month} is in the record the worker's settled {benefit} averaged "
                        "(dossier {dossier_no}, decision {decision_no} of {decided_on}, the "
                        "months up to {averaged_to}): a list cannot change that record's pay or "
                        "months; the SI agency re-computes the benefit on the corrected months "
                        "once the contributions owed are collected (Decree 158/2025/ND-CP) and "
                        "records them then; lines from {free_month} on are taken")


# The persons step 1's lines were found for: the file's, each once.
_FOUND = text("SELECT person_id FROM decl_lookup WHERE person_id IS NOT NULL").columns(
    column("person_id", BigInteger))


def note(conn: Connection) -> None:
    """Write the settled benefit averaging the latest month of each worker the lines name, if
    any (``decl_settled``). Called once, after step 1's look-up, before the filing's first
    change: it first takes the workers' turns (``record_turns``), so a settlement for one of
    them under way ends first and is read here, and one begun later waits for the filing."""
    record_turns.filing(conn, _FOUND)
    settled = averaged_of(session=conn, persons=_FOUND)
    write(conn, "decl_settled",
          ("person_id", "last_month", "benefit", "dossier_no", "decision_no", "decided_on"),
          [(person_id, a.last.index, _BENEFIT.get(a.regime, str(a.regime)), a.dossier_no,
            a.decision_no, a.decided_on.isoformat()) for person_id, a in settled.items()])
    staging.analyze(conn, "decl_settled")
