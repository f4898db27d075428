"""A closed vocabulary at every edge (HTTP bodies, registry files), read in any letter case and
without the spaces around it as the CLI reads its flags (``--region i`` is I): pydantic only, as
``days`` is.

The OpenAPI lists the words as they are answered (``enum``), and the field's description says
any letter case is read; a word of none of them is refused as before, by the schema or the
rules, naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BeforeValidator

from sibook.law.terms import OA_RATES, REGIONS, SEXES, SUPPORT_GROUPS, as_spelled


def any_case(choices: Sequence[str]) -> BeforeValidator:
    """Reads a word of ``choices`` whatever its letter case and the spaces around it, as
    ``choices`` spells it: as the CLI reads its flags (``cli.flags.choice``), so ``" I "`` is
    I in a body as ``--region " I "`` is at the console."""
    def spelled(value: object) -> object:
        word = as_spelled(value.strip(), choices) if isinstance(value, str) else None
        return value if word is None else word
    return BeforeValidator(spelled)


REGION_DOC = "Minimum-wage region I, II, III or IV, in any letter case (i is I)"
SEX_DOC = "male or female, in any letter case (Male is male)"


def case_said(typed: str, word: str) -> str:
    """Said after a field's own description, which explains its words: ``typed`` is ``word``."""
    return f". Read in any letter case ({typed} is {word})"


SUPPORT_CASE = case_said("POOR", "poor")
OA_RATE_DOC = "OA/OD rate: standard or reduced (Decree 58/2020 Art 5), in any letter case"
RegionText = Annotated[str, any_case(REGIONS)]
SexText = Annotated[str, any_case(SEXES)]
SexWord = Annotated[Literal["male", "female"], any_case(SEXES)]
SupportText = Annotated[str, any_case(SUPPORT_GROUPS)]
OaRateText = Annotated[str, any_case(OA_RATES)]
