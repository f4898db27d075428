"""The calendar day at every edge (HTTP bodies and queries, registry files): pydantic only, so
the registry's file schemas load without the web framework."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator, WithJsonSchema

from sibook.core.period import DAY_PATTERN


def _iso_day(value: object) -> object:
    # Pydantic's lax mode reads a number as Unix time (as_of=0 was 1970-01-01) and takes any
    # year from 0001: the door takes what the schema declares, YYYY-MM-DD of 1900..2099.
    if isinstance(value, str) and re.fullmatch(DAY_PATTERN, value):
        return value
    raise ValueError("a date written YYYY-MM-DD, between 1900-01-01 and 2099-12-31")


# The pattern puts the range in the OpenAPI schema.
Day = Annotated[date, BeforeValidator(_iso_day),
                WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN})]
