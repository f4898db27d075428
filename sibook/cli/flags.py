"""Flag values read into domain types. A malformed value is a usage error (exit 2) naming the
flag; the patterns are the API's, so both doors take the same months and days."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import typer

from sibook.cli.output import typed_name, usage_error
from sibook.core.period import DAY_PATTERN, MONTH_PATTERN, Period, month_refused
from sibook.law.terms import as_spelled
from sibook.registry.domain import REALMS


def parse_month(value: str, flag: str) -> Period:
    if re.fullmatch(MONTH_PATTERN, value) is None:
        usage_error(flag, month_refused(value))
    return Period.parse(value)


def parse_date(value: str, flag: str) -> date:
    # YYYY-MM-DD only: date.fromisoformat also reads 20260101 and week dates (2026-W01-1).
    try:
        if re.fullmatch(DAY_PATTERN, value) is None:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        usage_error(flag, f"must be a date as YYYY-MM-DD, years 1900 to 2099, got {value!r}")


def finite(value: float | None, flag: str) -> float | None:
    """A number flag read as float: "nan" and "inf" parse as floats but are no number."""
    if value is not None and not math.isfinite(value):
        usage_error(flag, f"must be a number, got {value}")
    return value


def utf8_text(value: str, flag: str) -> str:
    """Free text checked before the command reads or logs anything: a byte that is no UTF-8
    character arrives as a lone surrogate, which main() would only catch at the write."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        usage_error(flag, "is not UTF-8 text (it holds a byte such as 0xff that is no "
                          "character): write it in UTF-8")
    return value


def identifier(param: typer.CallbackParam, value: str | None) -> str | None:
    """The callback of every argument or flag naming something by its code or number: a
    person (personal ID), a unit (unit code), a facility (MA_CSKCB) and its visit (MA_LK), a
    client (CLIENT_ID), a dossier or decision number, a province, office, birth-place or
    country code. Read as ``sibook ids inspect`` reads one, whatever whitespace surrounds it (a
    value pasted from a spreadsheet cell or a letter), the rest as typed, so a command finds
    the person ``ids inspect`` calls valid and a client signs in with the id it was given.
    None (a flag left out) stays None. One that begins with "-" is the next flag, taken as
    the value because the flag was given none (``--employer --json`` would look up a unit
    called --json and answer in plain words): a usage error naming the flag, as a file
    flag's is (``file_flag``); no code or number begins with "-"."""
    if value is None:
        return None
    if value.strip().startswith("-"):
        flag = typed_name(param) or str(param.name)
        usage_error(flag, f"needs a {param.metavar or 'value'}, got {value.strip()[:_ECHO]!r}, "
                    "which is a flag")
    return value.strip()


_ECHO = 40  # characters of a refused value the usage error quotes (a flag may be megabytes)


def choice(value: str, choices: Sequence[str], flag: str) -> str:
    """A value of a closed vocabulary (a region, a sex, a support group, a realm), read whatever
    its case and surrounding spaces (``--region i`` is I, ``--sex Male`` is male) and returned
    as the vocabulary spells it. One outside it is a usage error (exit 2) naming the flag and
    the values, as the contract's usage lines list them (``--region I|II|III|IV``) and as a
    mistyped month is. No vocabulary holds two words that differ only in case."""
    if (word := as_spelled(value.strip(), choices)) is not None:
        return word
    shown = value if len(value) <= _ECHO else value[:_ECHO] + "…"
    usage_error(flag, f"must be one of {', '.join(choices)}, got {shown!r}")


def one_of(choices: Sequence[str], flag: str) -> Callable[[str | None], str | None]:
    """The callback of a flag of ``choices`` that may be left out (None), read as ``choice``
    reads every such flag."""
    def check(value: str | None) -> str | None:
        return None if value is None else choice(value, choices, flag)
    return check


NO_FILE_NAME = "needs a file name, got an empty one"


def file_flag(flag: str) -> Callable[[str | Path], Path]:
    """The parser of a flag naming a file, given the text as typed: a value that begins with
    "-" is the next flag, taken as the file name because the flag was given none (``--pdf
    --json`` would write a file called --json and print no JSON). A file whose name begins with
    "-" is named ./-name: read as typed, since a Path makes ./-name into -name, refused."""
    def parse(value: str | Path) -> Path:
        text = str(value)  # a str from the command line; Click may hand a Path back once made
        if not text:  # a path would read it as ".", the folder the command runs in
            usage_error(flag, NO_FILE_NAME)
        if isinstance(value, str) and text.startswith("-"):
            shown = text[:_ECHO]
            usage_error(flag, f"needs a file name, got {shown!r}, " + (
                f"and {flag} names a file, not standard input or output (a file called - is ./-)"
                if text == "-" else
                f"which is a flag (name a file that begins with '-' as ./{shown})"))
        return Path(text)
    return parse


def _realm(value: str) -> str:
    return choice(value, REALMS, "--realm")


def realm_flag(value: str | None) -> str | None:
    """A ``--realm`` that may be left out (None): checked as every command's --realm is."""
    return None if value is None else _realm(value)


RealmOpt = typer.Option("civil", "--realm", metavar="REALM", callback=_realm,
                        help=f"Realm of the person: {', '.join(REALMS)}.")
# A ministry's unit is found only with its realm named, as its people are (``RealmOpt``): to
# civil use it is absent, refused as a code nobody holds.
UnitRealmOpt = typer.Option("civil", "--realm", metavar="REALM", callback=_realm,
                            help=f"Realm of the unit: {', '.join(REALMS)}.")
