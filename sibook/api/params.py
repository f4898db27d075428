"""Edge types shared by the routers: what a path, query or form value must look like before any
part of the domain sees it, so bad input is a 422 naming the field, never a 500."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Path, Query
from pydantic import BeforeValidator, WithJsonSchema

# Months: core.period.MONTH_PATTERN, the one pattern of every door (files included).

PersonalIdPath = Annotated[str, Path(pattern=r"^[0-9]{12}$", description="12-digit personal ID")]
DAY_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _iso_day(value: object) -> object:
    # Pydantic's lax mode reads a number as Unix time (as_of=0 was 1970-01-01) and takes any
    # year from 0001: the door takes what the schema declares, YYYY-MM-DD of 1900..2099.
    if isinstance(value, str) and re.fullmatch(DAY_PATTERN, value):
        return value
    raise ValueError("a date written YYYY-MM-DD, between 1900-01-01 and 2099-12-31")


# A calendar day at the API's edge (bodies and queries); the pattern puts its range in the schema.
Day = Annotated[date, BeforeValidator(_iso_day),
                WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN})]
AsOfQuery = Annotated[Day | None, Query(description="Status on this date (default today)")]
