"""``sibook book verify`` and ``verify-card``: checking a signed book or HI card offline, with a
trust list and the published revocations; the database is read only to tell of a newer version.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from sibook.book import versions
from sibook.cli.context import configured_engine
from sibook.cli.flags import NO_FILE_NAME, RealmOpt, file_flag, parse_date
from sibook.cli.output import (
    DatabaseUrlError,
    JsonFlag,
    console,
    err_console,
    os_reason,
    print_json,
    usage_error,
)
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.errors import NotFoundError, SibookError, ValidationError
from sibook.registry import reading as registry

if TYPE_CHECKING:
    from sibook.signing.status import RevocationList
    from sibook.signing.trust_list import TrustList


# FILE "-" is standard input, as for common CLIs (`sibook book verify - < an.txt`); FILE is
# taken as typed, a str, since a Path makes ./- (a file named -) into -.
STDIN = "-"
STDIN_HELP = ' "-" reads standard input (a file named - is ./-).'


def _named(value: str) -> str:
    """FILE as typed; an empty one is a usage error, as an empty file flag is: a path would
    read it as ".", and verify answered "cannot verify: .: Is a directory"."""
    if not value:
        usage_error("FILE", NO_FILE_NAME)
    return value


TrustListOpt = Annotated[Path | None, typer.Option(
    "--trust-list", metavar="FILE", parser=file_flag("--trust-list"),
    help="PEM trust list (default: the local agency's keys).")]


def _trust(path: Path | None) -> TrustList:
    from sibook.signing.trust_list import TrustList

    return TrustList.from_pem(_read_input(path)) if path else TrustList.from_keys_dir(
        Path(get_settings().keys_dir))


def verify(
    file: Annotated[str, typer.Argument(
        help=f"A book PDF or a QR text file;{STDIN_HELP}", callback=_named)],
    trust_list: TrustListOpt = None,
    revocations: Annotated[Path | None, typer.Option(
        "--revocations", metavar="FILE", parser=file_flag("--revocations"),
        help="Signed revocation list, as published (default: "
        "the local agency's).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="A stale or missing revocation list makes the book invalid (exit 1) "
        "instead of a warning.")] = False,
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Check signature, chain, trust list and revocation; exit 1 unless valid."""
    from sibook.signing.status import RevocationList
    from sibook.signing.verify import verify as check  # PDF libraries load only when used
    refused: dict[str, ValidationError] = {}  # local lists this trust list cannot check
    try:
        data = _read_input(file)
        trust = _trust(trust_list)
        revoked = (_published_list(revocations, trust) if revocations else
                   RevocationList.load_realms(Path(get_settings().keys_dir), trust,
                                              refused=refused))
    except OSError as exc:
        _cannot_verify(os_reason(exc), as_json)
    except SibookError as exc:
        offline = ("; to verify away from the agency, pass --trust-list FILE (from `sibook "
                   "trust-list export` or GET /api/v1/trust-list)"
                   if trust_list is None and isinstance(exc, NotFoundError) else "")
        _cannot_verify(f"{exc}{offline}", as_json)
    checked = check(data, trust_list=trust, status=revoked, strict=strict)
    if checked.realm in refused:  # only the list of the book's own realm speaks for it
        _cannot_verify(str(refused[checked.realm]), as_json)
    result = checked.as_dict()
    if checked.genuine and result["personal_id"] and result["version"]:
        newer = _newer_version(result["personal_id"], result["version"], realm)
        if newer is not None:
            result["newer_version"] = newer
    _answer(result, as_json)


def _read_input(file: Path | str) -> bytes:
    """A file ``book verify`` and ``verify-card`` read (what they check, a trust list), or
    standard input for FILE "-", refused past the size the API reads: read whole, a file of
    any size (or a device that never ends, /dev/zero) took all the memory and ended in a
    traceback."""
    from sibook.signing.verify import MAX_INPUT

    if file == STDIN:
        data = sys.stdin.buffer.read(MAX_INPUT + 1)
    else:
        with Path(file).open("rb") as f:
            data = f.read(MAX_INPUT + 1)
    if len(data) > MAX_INPUT:
        shown = "standard input" if file == STDIN else str(Path(file))
        raise SibookError(f"{shown}: larger than {MAX_INPUT} bytes, more than any book PDF, "
                          "QR text or trust list")
    return data


def _cannot_verify(reason: str, as_json: bool) -> None:
    _answer({"valid": False, "personal_id": None, "version": None, "signer": None,
             "errors": [f"cannot verify: {reason}"]}, as_json)


def _published_list(path: Path, trust: TrustList) -> RevocationList:
    """A list the user names must be there: a missing one would pass for "nothing revoked"."""
    from sibook.signing.status import RevocationList

    if not path.is_file():
        raise SibookError(f"--revocations {path}: "
                          + ("not a file (a directory?)" if path.exists() else "no such file"))
    return RevocationList.load(path, trust)


def verify_card(
    file: Annotated[str, typer.Argument(
        help=f"A text file holding the HI card's QR text;{STDIN_HELP}", callback=_named)],
    trust_list: TrustListOpt = None,
    on: Annotated[str | None, typer.Option(
        "--on", metavar="YYYY-MM-DD",
        help="The day the card must be valid, YYYY-MM-DD (default today).")] = None,
    as_json: bool = JsonFlag,
) -> None:
    """Check an HI card's QR offline, as a health facility at admission: the agency's signature
    and the card's validity on the day; exit 1 unless genuine and valid."""
    from sibook.signing.card import CardAnswer
    from sibook.signing.card import verify_card as check_card

    day = parse_date(on, "--on") if on is not None else date.today()
    try:
        data = _read_input(file)
        trust = _trust(trust_list)
    except (OSError, SibookError) as exc:
        why = os_reason(exc) if isinstance(exc, OSError) else str(exc)
        answer = CardAnswer(valid=False, errors=[f"cannot verify: {why}"]).as_dict()
    else:
        answer = check_card(data, trust_list=trust, on=day).as_dict()
    if as_json:
        print_json(answer)
    elif answer["valid"]:
        console.print(f"valid: HI card {answer['card_number']} of {answer['full_name']} "
                      f"({answer['personal_id']}), benefit level {answer['benefit_level']}, "
                      f"valid {answer['valid_from']} to {answer['valid_to']}", markup=False,
                      highlight=False)
    else:
        err_console.print("INVALID: " + "; ".join(answer["errors"]), markup=False,
                          highlight=False)
    raise typer.Exit(0 if answer["valid"] else 1)


def _answer(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
    elif result["valid"]:
        console.print(f"valid: book {result['personal_id']} version {result['version']}, "
                      f"signed by {result['signer']}", markup=False, highlight=False)
    else:
        err_console.print("INVALID: " + "; ".join(result["errors"]), markup=False,
                          highlight=False)
    if not as_json:
        for warning in result.get("warnings", []):
            err_console.print(f"warning: {warning}", markup=False, highlight=False)
    if result.get("newer_version") and not as_json:
        console.print(f"note: version {result['newer_version']} is newer", markup=False)
    raise typer.Exit(0 if result["valid"] else 1)


def _newer_version(personal_id: str, version: int, realm: str) -> int | None:
    """The latest version in the local database when newer; None offline or when unknown."""
    try:  # a URL naming no database (an uninstalled driver) tells no newer version either
        url = make_url(get_settings().database_url)
        if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
            return None  # verifying offline: do not create an empty database
        with unit_of_work(configured_engine()) as session:
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            last = versions.latest(session=session, person_id=person_id)
    except (SQLAlchemyError, SibookError, DatabaseUrlError):
        return None
    return last.version if last and last.version > version else None
