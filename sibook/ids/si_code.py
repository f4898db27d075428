"""Legacy social-insurance code (mã số BHXH), 10 digits, unique per person for life.

Printed on the paper SI book and the HI card; from 1/8/2025 the personal ID replaces it for
participants (VSS letter 1804/BHXH-QLT, 4/8/2025), but old records keep it. Its inner structure
is not published, so it is treated as opaque: 10 digits and nothing more.
"""

from __future__ import annotations

from sibook.core.errors import Problem
from sibook.ids._shape import digits_problem

SI_CODE_LENGTH = 10
FIELD = "si_code"


def si_code_problems(value: str) -> list[Problem]:
    """Every reason ``value`` is not a legacy SI code; empty when it is."""
    shape = digits_problem(value, SI_CODE_LENGTH, "an SI code")
    return [Problem(field=FIELD, reason=shape)] if shape else []


def is_valid_si_code(value: str) -> bool:
    return not si_code_problems(value)


def make_si_code(n: int) -> str:
    """The ``n``-th synthetic SI code (0 <= n < 10**10): ``n`` zero-padded to 10 digits."""
    if not 0 <= n < 10**SI_CODE_LENGTH:
        raise ValueError(f"{n} does not fit in a {SI_CODE_LENGTH}-digit SI code")
    return f"{n:0{SI_CODE_LENGTH}d}"
