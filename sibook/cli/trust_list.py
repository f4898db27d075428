"""``sibook trust-list ...``: what verifiers are given, the public certificates verification
trusts and the civil realm's signed revocation list (``sibook keys ...`` keeps them)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from sibook.cli.context import ready_engine
from sibook.cli.keys import REFUSED, keys_dir_setting, keys_problems
from sibook.cli.out_files import STDOUT_HELP, printed_alone, said_on, where, write_out
from sibook.cli.output import JsonFlag, emit, refuse
from sibook.core.db import unit_of_work
from sibook.signing import status
from sibook.signing.trust_list import TrustList

trust_list_app = typer.Typer(help="The public certificates verification trusts.",
                             no_args_is_help=True)


@trust_list_app.command("export")
def export(
    out: Annotated[str, typer.Argument(help="Where to write the PEM trust list;" + STDOUT_HELP)],
    as_json: bool = JsonFlag,
) -> None:
    """Write the root and every issuing certificate (PEM) that verification trusts."""
    printed_alone({"OUT": out}, as_json)
    try:
        trust = TrustList.from_keys_dir(keys_dir_setting())
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    write_out(out, trust.to_pem(), as_json, "out")
    data = {"path": where(out), "roots": len(trust.roots), "issuers": len(trust.issuers)}
    emit(data, as_json, lambda d: said_on(out).print(
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

    printed_alone({"OUT": out}, as_json)
    try:
        agency = issuing.agency(initialise=False)
        with unit_of_work(ready_engine()) as session:  # an older entry's hash is on record
            signed = issuing.published_revocations(session, agency)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    text = json.dumps(signed, ensure_ascii=False, indent=1) + "\n"
    write_out(out, text.encode("utf-8"), as_json, "out")
    data = {"path": where(out), "realm": status.PUBLISHED_REALM,
            "entries": len(signed["entries"]), "signed_at": signed["signed_at"],
            "next_update": signed.get("next_update")}
    emit(data, as_json, lambda d: said_on(out).print(
        f"wrote the {d['realm']} revocation list ({d['entries']} "
        f"{'entry' if d['entries'] == 1 else 'entries'}, next update "
        f"{d['next_update']}) to {d['path']}", markup=False, highlight=False))

