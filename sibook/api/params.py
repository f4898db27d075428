"""Edge types shared by the routers: what a path, query or form value must look like before any
part of the domain sees it, so bad input is a 422 naming the field, never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from sibook.api.days import Day

# Months: core.period.MONTH_PATTERN, days: api.days.Day, the one pattern of every door (files
# included).

PersonalIdPath = Annotated[str, Path(pattern=r"^[0-9]{12}$", description="12-digit personal ID")]
AsOfQuery = Annotated[Day | None, Query(description="Status on this date (default today)")]
