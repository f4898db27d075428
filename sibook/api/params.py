"""Edge types shared by the routers: what a path, query or form value must look like before any
part of the domain sees it, so bad input is a 422 naming the field, never a 500."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

# Months: core.period.MONTH_PATTERN, the one pattern of every door (files included).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2099, 12, 31)

PersonalIdPath = Annotated[str, Path(pattern=r"^[0-9]{12}$", description="12-digit personal ID")]
AsOfQuery = Annotated[date | None, Query(ge=FIRST_DAY, le=LAST_DAY,
                                         description="Status on this date (default today)")]
