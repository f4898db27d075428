"""The case codes (phương án) as SQL, shared by the set-based statements on a declaration's
staged lines (``staging``)."""

from __future__ import annotations

from sibook.contributions.domain import ADJUSTMENTS, DECREASES, INCREASES


def _sql_set(codes: set[str]) -> str:
    """A constant SQL list of case codes (our own constants, never user input)."""
    return "(" + ", ".join(f"'{c}'" for c in sorted(codes)) + ")"


OPENS = _sql_set({*INCREASES, *ADJUSTMENTS})
CLOSES = _sql_set({*ADJUSTMENTS, *DECREASES})
INCREASE = _sql_set(set(INCREASES))
DECREASE = _sql_set(set(DECREASES))
ADJUST = _sql_set(set(ADJUSTMENTS))
# The decreases for leave (KL, OF, TS): the worker's pay stops, the contract runs on.
LEAVE = _sql_set(set(DECREASES) - {"GH"})

# An increase for a voluntary participant (their open period has no employer) from a later
# month ends the voluntary period before it: who works on a labour contract is insured
# compulsorily (Law 41/2024 Art 2), so the employer's start ends the voluntary one, at its
# last month paid (``staged_periods``), and what was paid for the months after it is the
# participant's credit again (``voluntary``).
ENDS_VOLUNTARY = (f"s.case_code IN {INCREASE} AND l.open_seq IS NOT NULL "
                  "AND l.open_employer IS NULL AND s.from_month > l.open_from")
