"""Numbers written as text at the edge (a flag, a query, a form field, a setting): in digits.

Python reads ``int("1_5")`` as 15, its digit separator, and so do Typer and Pydantic's lax mode,
which read every flag, path, query, form value and environment variable: ``--salary 1_5`` was
15, ``?limit=1_0`` 10, ``SIBOOK_PORT=80_80`` 8080. No one typing an amount, a count or a port
means it (a slip for ``1,5`` or ``1.5``), so such a value is refused. A declaration's cells are
read by their own rule (``contributions.validate``: groups of three, as a spreadsheet writes).
"""

from __future__ import annotations

from pydantic import BeforeValidator

NOT_DIGITS = "must be a number written in digits ('_' is no digit separator here)"


def in_digits(value: object) -> object:
    """``value`` unchanged unless it is text holding Python's digit separator."""
    if isinstance(value, str) and "_" in value:
        raise ValueError(NOT_DIGITS)
    return value


# Beside an int or float field, parameter or setting read from text.
IN_DIGITS = BeforeValidator(in_digits)
