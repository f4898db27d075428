"""The words of a flag's closed list (``--region I|II|III|IV``, ``--sex``, ``--realm``, ...):
one rule for every command, in ``sibook.cli.flags.choice``."""

from __future__ import annotations

from typing import Any

import pytest
import typer

from sibook.benefits.domain import Regime
from sibook.cli.flags import choice, file_flag, one_of
from sibook.cli.out_files import output_flag
from sibook.law.terms import REGIONS, SEXES, SUPPORT_GROUPS
from sibook.registry.domain import REALMS


@pytest.mark.parametrize(("typed", "words", "read"), [
    ("i", REGIONS, "I"),
    ("Iv", REGIONS, "IV"),
    (" II ", REGIONS, "II"),
    ("MALE", SEXES, "male"),
    ("Near_Poor", SUPPORT_GROUPS, "near_poor"),
    ("Public_Security", REALMS, "public_security"),
    ("SICKNESS", tuple(Regime), Regime.SICKNESS),
])
def test_a_word_is_read_whatever_its_case_as_the_list_spells_it(
        typed: str, words: tuple[str, ...], read: str) -> None:
    assert choice(typed, words, "--flag") == read


@pytest.mark.parametrize(("typed", "words"), [
    ("V", REGIONS), ("v", REGIONS), ("1", REGIONS), ("m", SEXES), ("near poor", SUPPORT_GROUPS),
    ("", SEXES),
])
def test_a_word_not_in_the_list_in_any_case_is_a_usage_error_naming_the_flag(
        typed: str, words: tuple[str, ...]) -> None:
    with pytest.raises(typer.BadParameter) as refused:
        choice(typed, words, "--flag")
    assert refused.value.param_hint == "--flag" and ", ".join(words) in str(refused.value)


def test_a_flag_left_out_stays_out() -> None:
    assert one_of(REGIONS, "--region")(None) is None
    assert one_of(REGIONS, "--region")("iii") == "III"


@pytest.mark.parametrize(("parser", "flag"), [
    (output_flag, "--pdf"), (output_flag, "--qr"), (output_flag, "--png"),
    (file_flag, "--trust-list"), (file_flag, "--revocations"),
])
def test_a_file_flag_given_an_empty_name_is_a_usage_error(parser: Any, flag: str) -> None:
    """``--pdf ''`` names no file: it was read as ".", then refused (exit 1) as "cannot write
    .: Is a directory", a path nobody typed. Given none, as ``--pdf --json`` is: exit 2."""
    with pytest.raises(typer.BadParameter) as refused:
        parser(flag)("")
    assert refused.value.param_hint == flag
    assert str(refused.value) == "needs a file name, got an empty one"
