"""Edge types shared by the routers: what a path, query or form value must look like before any
part of the domain sees it, so bad input is a 422 naming the field, never a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from sibook.api.days import Day
from sibook.core.errors import ValidationError

# Months: core.period.MONTH_PATTERN, days: api.days.Day, the one pattern of every door (files
# included).

PERSONAL_ID = r"^[0-9]{12}$"
PersonalIdPath = Annotated[str, Path(pattern=PERSONAL_ID, description="12-digit personal ID")]
# The HI check at admission (Decree 188/2025 Art 37-38) also takes the number on the card when
# VNeID or the network fails: the 10-digit SI code printed since 1/4/2021, or a legacy
# 15-character card number (upper-case letters checked by ``ids inspect``, not by the shape).
# Spaces around it are no part of it, as for every identifier the commands read.
HiCardHolderPath = Annotated[str, Path(
    pattern=r"^\s*([0-9]{12}|[0-9]{10}|[A-Za-z]{2}[0-9]{13})\s*$",
    description="12-digit personal ID, 10-digit SI code (mã số BHXH) or 15-character HI card "
                "number (XX Y ZZ and the SI code)")]
# A unit code is 7 or 10 characters (sibook.ids.unit_code), stored in 13: letters and digits
# only, so a NUL or a control character is the caller's 422, never a query PostgreSQL refuses.
UNIT_CODE = r"^[0-9A-Za-z]{7,13}$"
_UNIT_CODE_TEXT = ("The unit code (mã đơn vị): a 10-digit enterprise code, a 7-digit "
                   "budget-relationship code or a 7-character legacy code")
UnitCodePath = Annotated[str, Path(pattern=UNIT_CODE, description=_UNIT_CODE_TEXT)]
# ?employer= is ``persons list --employer``'s mirror, which reads the code without the spaces
# around one pasted from a sheet: so does the query (stripped once its shape is checked).
_UNIT_CODE_PADDED = r"^\s*[0-9A-Za-z]{7,13}\s*$"
UnitCodeQuery = Annotated[str | None, Query(
    pattern=_UNIT_CODE_PADDED,
    description=_UNIT_CODE_TEXT + "; the spaces around it are no part of it"),
    AfterValidator(lambda code: None if code is None else code.strip())]
# What a value a pattern above refuses must be, in words (api.problems): "String should match
# pattern '^[0-9]{12}$'" named no shape a caller could follow.
_A_UNIT_CODE = "a unit code: 7 to 13 letters and digits"
SHAPES = {PERSONAL_ID: "a 12-digit personal ID", UNIT_CODE: _A_UNIT_CODE,
          _UNIT_CODE_PADDED: _A_UNIT_CODE}
AsOfQuery = Annotated[Day | None, Query(description="Status on this date (default today)")]


async def _one_file(request: Request) -> None:
    """A form carries one ``file`` part: FastAPI hands the route the last of several and drops
    the others unread, so a request with two files (``curl -F file=@a -F file=@b``) was
    answered for one, the other never filed, checked or mentioned."""
    if (n := len((await request.form()).getlist("file"))) > 1:  # the form FastAPI read
        raise ValidationError(field="file", reason=(
            f"the request holds {n} parts named file; one file is read a request: send each "
            "in a request of its own"))


# A route's parameter after its guard (the caller is known, and refused first if not allowed);
# ``ONE_FILE`` in a public route's ``dependencies``, which other code calls too (the portal).
OneFile = Annotated[None, Depends(_one_file)]
ONE_FILE = Depends(_one_file)
