"""``sibook trust-list ...``: what verifiers are given, the public certificates verification
trusts and the civil realm's signed revocation list (``sibook keys ...`` keeps them)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sibook.cli.keys import REFUSED, keys_dir_setting, keys_problems
from sibook.cli.output import (
    JsonFlag,
    console,
    emit,
    err_console,
    os_reason,
    refuse,
    usage_error,
    write_out,
)
from sibook.core.errors import Problem
from sibook.signing import status
from sibook.signing.trust_list import TrustList

trust_list_app = typer.Typer(help="The public certificates verification trusts.",
                             no_args_is_help=True)
# An OUT of "-" is standard output, as for common CLIs (openssl, curl -o -): the file alone is
# printed there, to be piped on; a file named "-" is written as ./-. OUT is taken as typed, a
# str: a Path makes ./- into -.
STDOUT = "-"
STDOUT_HELP = ' "-" prints it on standard output (a file named - is ./-).'


@trust_list_app.command("export")
def export(
    out: Annotated[str, typer.Argument(help="Where to write the PEM trust list;" + STDOUT_HELP)],
    as_json: bool = JsonFlag,
) -> None:
    """Write the root and every issuing certificate (PEM) that verification trusts."""
    _stdout_alone(out, as_json)
    try:
        trust = TrustList.from_keys_dir(keys_dir_setting())
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    _deliver(out, trust.to_pem(), as_json)
    data = {"path": _where(out), "roots": len(trust.roots), "issuers": len(trust.issuers)}
    emit(data, as_json, lambda d: _said(out).print(
        f"wrote {d['roots']} root and {d['issuers']} issuing certificates to {d['path']}",
        markup=False))


@trust_list_app.command("export-revocations")
def export_revocations(
    out: Annotated[str, typer.Argument(
        help="Where to write the signed revocation list;" + STDOUT_HELP)],
    as_json: bool = JsonFlag,
) -> None:
    """Write the civil realm's signed revocation list (JSON), re-signed first when stale, for
    verifiers: ``sibook book verify --revocations OUT --trust-list trust.pem``."""
    from sibook.book import issuing  # the agency's signers refuse an expired certificate

    _stdout_alone(out, as_json)
    try:
        agency = issuing.agency(initialise=False)
        signed = status.published(agency.keys_dir, agency.trust_list(), agency.signer)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    text = json.dumps(signed, ensure_ascii=False, indent=1) + "\n"
    _deliver(out, text.encode("utf-8"), as_json)
    data = {"path": _where(out), "realm": status.PUBLISHED_REALM,
            "entries": len(signed["entries"]), "signed_at": signed["signed_at"],
            "next_update": signed.get("next_update")}
    emit(data, as_json, lambda d: _said(out).print(
        f"wrote the {d['realm']} revocation list ({d['entries']} "
        f"{'entry' if d['entries'] == 1 else 'entries'}, next update "
        f"{d['next_update']}) to {d['path']}", markup=False, highlight=False))


def _stdout_alone(out: str, as_json: bool) -> None:
    """An OUT of "-" with --json: both would be printed on standard output, the file and the
    answer, and neither could be read: a usage error before anything is read or written."""
    if out == STDOUT and as_json:
        usage_error("OUT", "is - (standard output), where --json prints its answer: name a "
                    "file, or leave out --json")


def _deliver(out: str, data: bytes, as_json: bool) -> None:
    """Write the file to OUT, or print it on standard output (its bytes as written to a file)."""
    if out != STDOUT:
        write_out(Path(out), data, as_json, "out")
        return
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as exc:  # a closed pipe, a full disk behind a redirection
        refuse([Problem(field="out", reason=f"cannot write standard output: {os_reason(exc)}")],
               as_json)


def _said(out: str) -> Console:
    """Where the readable answer goes: stderr when standard output carries the file."""
    return err_console if out == STDOUT else console


def _where(out: str) -> str:
    """OUT as the answer names it: a file's path as before ("./a.pem" is "a.pem")."""
    return "standard output" if out == STDOUT else str(Path(out))
