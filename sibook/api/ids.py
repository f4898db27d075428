"""``POST /api/v1/ids/inspect``: the answer of ``sibook ids inspect VALUE --json``.

The value goes in the body, not the path: a personal ID in a URL ends up in every proxy's and
browser's log. An identifier of no known shape, or an invalid one, is still a 200 (the answer
says why), as ``book verify`` answers an invalid book: the inspection itself succeeded.

The answer is ``sibook.ids.inspect.inspect``'s, key for key and in its order, the contract's
(value, kind, valid, errors, province_code, sex, birth_year, null where the kind has none, then
an HI card's own keys); ``IdAnswer`` describes it in the OpenAPI document.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from sibook.access.deps import require
from sibook.access.policy import Action
from sibook.ids.inspect import inspect

# Pure computation on the value given, no stored data: public, declared like every route.
router = APIRouter(prefix="/ids", tags=["identifiers"],
                   dependencies=[Depends(require(Action.PUBLIC))])


class InspectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str = Field(max_length=200, description="A personal ID (12 digits), a legacy SI "
                       "code (10 digits) or a legacy HI card number (15 characters)",
                       examples=["001089012345"])


class IdAnswer(BaseModel):
    """The contract's keys, for every kind (null where it has none); an HI card's own keys
    only for an HI card."""

    value: str = Field(description="The value as read: the whitespace around it is no part of "
                       "it, as every command reads an identifier")
    kind: Literal["personal_id", "si_code", "hi_card"] | None
    valid: bool
    errors: list[str] = Field(description="Plain-language reasons; empty when valid")
    # In every answer (the contract's keys), null where the kind has none.
    province_code: str | None = Field(description="personal_id: the 3-digit "
                                      "birth-registration code; hi_card: the 2-digit province")
    sex: Literal["male", "female"] | None = Field(description="personal_id")
    birth_year: int | None = Field(description="personal_id")
    group_code: str | None = Field(default=None, description="hi_card")
    benefit_level: int | None = Field(default=None, description="hi_card")
    si_code: str | None = Field(default=None, description="hi_card: the SI code it embeds")


@router.post("/inspect", response_model=IdAnswer)
def inspect_id(body: InspectRequest) -> JSONResponse:
    """What the value is and whether it is valid, as ``sibook ids inspect VALUE --json``."""
    return JSONResponse(inspect(body.value))
