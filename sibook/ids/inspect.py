"""What an identifier is and whether it is valid: the answer of ``sibook ids inspect``.

The shape decides the kind: 12 digits a personal ID, 10 digits a legacy SI code, 2 letters and
13 digits a legacy HI card number. Surrounding whitespace is no part of the value (copy-paste
leaves it): the answer's ``value`` is the value as read, without it, as every command reads an
identifier (``cli.flags.identifier``). HI group letters in lower case are an HI card number
that is not valid (its group letters are upper case), answered with its parts as typed; spaces
inside, or digits outside 0-9, make a value of no known shape, with a reason that says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sibook.core.errors import Problem
from sibook.ids._shape import is_ascii_digits
from sibook.ids.hi_card import HI_CARD_LENGTH, has_hi_card_shape, hi_card_problems
from sibook.ids.personal_id import PERSONAL_ID_LENGTH, decode_personal_id, personal_id_problems
from sibook.ids.si_code import SI_CODE_LENGTH, si_code_problems


def inspect(value: str, *, today: date | None = None) -> dict[str, Any]:
    """The contract's JSON object for ``value`` (see CONTRACT.md, "Identifiers")."""
    text = value.strip()
    if is_ascii_digits(text) and len(text) == PERSONAL_ID_LENGTH:
        return _personal_id(text, today)
    if is_ascii_digits(text) and len(text) == SI_CODE_LENGTH:
        return _answer(text, "si_code", _reasons(si_code_problems(text)))
    if has_hi_card_shape(text):
        return _hi_card(text)
    return _answer(text, None, [_shape_reason(text)])


def _answer(text: str, kind: str | None, reasons: list[str], *, province_code: str | None = None,
            sex: str | None = None, birth_year: int | None = None) -> dict[str, Any]:
    """The contract's keys for every value, null where the kind has none (an SI code has no
    province, an HI card no sex): a script reads ``answer["sex"]`` whatever it was given."""
    return {"value": text, "kind": kind, "valid": not reasons, "errors": reasons,
            "province_code": province_code, "sex": sex, "birth_year": birth_year}


def _reasons(problems: list[Problem]) -> list[str]:
    return [p.reason for p in problems]


def _personal_id(text: str, today: date | None) -> dict[str, Any]:
    decoded = decode_personal_id(text)
    return _answer(text, "personal_id", _reasons(personal_id_problems(text, today=today)),
                   province_code=decoded.prefix, sex=decoded.sex, birth_year=decoded.birth_year)


def _hi_card(text: str) -> dict[str, Any]:
    answer = _answer(text, "hi_card", _reasons(hi_card_problems(text)), province_code=text[3:5])
    return {**answer, "group_code": text[:2], "benefit_level": int(text[2]), "si_code": text[5:]}


def _shape_reason(text: str) -> str:
    expected = (f"expected a {PERSONAL_ID_LENGTH}-digit personal ID, a {SI_CODE_LENGTH}-digit "
                f"SI code or a {HI_CARD_LENGTH}-character HI card number")
    if not text:
        return f"the value is empty; {expected}"
    if any(ch.isspace() for ch in text):
        return f"the value contains spaces; write it without spaces ({expected})"
    if any(ch.isdigit() and not ch.isascii() for ch in text):
        return f"the value contains digits outside 0-9, such as full-width digits; {expected}"
    if is_ascii_digits(text):
        return f"the value has {len(text)} digits; {expected}"
    return f"the value is not an identifier of a known shape; {expected}"
