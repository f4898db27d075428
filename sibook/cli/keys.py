"""``sibook keys ...``: the agency's signing keys, their certificates and the signed revocation
lists they keep current. What verifiers are given of them is ``sibook trust-list ...``'s
(trust_list.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from sibook.cli.flags import realm_flag
from sibook.cli.output import JsonFlag, console, emit, os_reason, refuse
from sibook.core.config import get_settings
from sibook.core.errors import Problem, SibookError, ValidationError
from sibook.signing import keys, status
from sibook.signing.certs import REALMS, CertInfo
from sibook.signing.inventory import list_certs

keys_app = typer.Typer(help="The agency's signing keys and certificates.", no_args_is_help=True)


# What a keys or trust-list command refuses (exit 1) rather than dies on with a traceback: our
# own errors, and key files it cannot read or write (missing folder, permissions, not PEM, not
# UTF-8).
REFUSED = (SibookError, OSError, ValueError)


def keys_problems(exc: Exception) -> list[Problem]:
    """A refusal of the agency's keys named by the setting the operator changes to get past
    it: SIBOOK_KEY_PASSPHRASE when none is set or it does not open the keys, else the keys
    folder, SIBOOK_KEYS_DIR (no keys there, a file missing, damaged or not this account's, an
    expired certificate, whose fix is ``keys rotate`` on that folder). A check of a setting
    (SIBOOK_REVOCATION_LIST_HOURS) names its own."""
    if isinstance(exc, ValidationError) and exc.problems:
        return list(exc.problems)
    field = ("SIBOOK_KEY_PASSPHRASE" if isinstance(exc, keys.NoPassphrase | keys.WrongPassphrase)
             else "SIBOOK_KEYS_DIR")
    if isinstance(exc, OSError) and exc.filename is not None:
        said = f"cannot use {os_reason(exc)}"
    elif isinstance(exc, SibookError):
        said = str(exc)
    else:
        said = f"cannot read the keys in {keys_dir_setting()}: {exc}"
    return [Problem(field=field, reason=said)]


def keys_dir_setting() -> Path:
    return Path(get_settings().keys_dir)


def _show_certs(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        mark = "*" if row["current"] else "x" if row["distrusted"] else " "
        at = (row["distrusted_at"] or "")[:19].replace("T", " ")  # kept in UTC
        state = (f"  DISTRUSTED since {at} UTC" if at else
                 "  DISTRUSTED (since when was not recorded)" if row["distrusted"] else "")
        console.print(f"{mark} {row['role']:<16} gen {row['generation']:<3} {row['key_id']}  "
                      f"{row['subject']}  until {row['not_after'][:10]}{state}"
                      f"{_realm_policy(row)}", markup=False, highlight=False)


def _realm_policy(row: dict[str, Any]) -> str:
    """An issuing certificate made before the realm policy (``certs.PAYLOADS_NAME_REALM``):
    the one that signs now is rotated, so what is signed from then on must name its realm."""
    if row["names_realm"] is not False or row["distrusted"]:
        return ""
    if row["current"]:
        return f"  LACKS THE REALM POLICY: run `sibook keys rotate --realm {row['role']}`"
    return "  lacks the realm policy (signs nothing now)"


def _as_dicts(infos: list[CertInfo]) -> list[dict[str, Any]]:
    return [i.as_dict() for i in infos]


@keys_app.command("init")
def init(
    force: Annotated[bool, typer.Option("--force", help="Replace existing keys.")] = False,
    as_json: bool = JsonFlag,
) -> None:
    """Create the agency root CA and an issuing certificate for each realm."""
    keys_dir = keys_dir_setting()
    try:
        if keys.has_keys(keys_dir) and not force:
            refuse([Problem(field="SIBOOK_KEYS_DIR", reason=(  # what is in the way: that folder
                f"keys already exist in {keys_dir}; pass --force to replace them"))], as_json)
        passphrase, generated = keys.ensure_passphrase(keys_dir, get_settings().key_passphrase)
        infos = keys.init_keys(keys_dir, passphrase, force=force)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    data = {"keys_dir": str(keys_dir), "certificates": _as_dicts(infos),
            "passphrase_file": str(keys_dir / keys.PASSPHRASE_FILE) if generated else None}

    def render(d: dict[str, Any]) -> None:
        console.print(f"keys created in {d['keys_dir']}", markup=False)
        _show_certs(d["certificates"])
        if d["passphrase_file"]:
            console.print(f"generated a random key passphrase into {d['passphrase_file']} "
                          "(mode 0600); in production set SIBOOK_KEY_PASSPHRASE instead",
                          markup=False)

    emit(data, as_json, render)


@keys_app.command("rotate")
def rotate(
    realm: Annotated[str, typer.Option(
        "--realm", metavar="REALM", callback=realm_flag, help=f"One of: {', '.join(REALMS)}.")],
    as_json: bool = JsonFlag,
) -> None:
    """Make a new issuing certificate for REALM; older ones stay trusted for old books."""
    keys_dir = keys_dir_setting()
    try:
        passphrase = keys.resolve_passphrase(keys_dir, get_settings().key_passphrase)
        info = keys.rotate(keys_dir, realm, passphrase)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    emit({"rotated": info.as_dict()}, as_json, lambda d: _show_certs([d["rotated"]]))


@keys_app.command("distrust")
def distrust(
    realm: Annotated[str, typer.Option(
        "--realm", metavar="REALM", callback=realm_flag, help=f"One of: {', '.join(REALMS)}.")],
    generation: Annotated[int, typer.Option(
        "--generation", metavar="N", min=1, help="The issuing generation whose key is "
        "compromised or lost (see `sibook keys list`); rotate first if it is the current one.")],
    as_json: bool = JsonFlag,
) -> None:
    """Stop trusting an older issuing certificate of REALM: nothing its key signed verifies any
    more, whatever date it claims; export the trust list again and re-export the books."""
    from sibook.signing.distrust import GenerationSigns, NoSuchGeneration
    from sibook.signing.distrust import distrust as stop_trusting

    keys_dir = keys_dir_setting()
    try:
        passphrase = keys.resolve_passphrase(keys_dir, get_settings().key_passphrase)
        info = stop_trusting(keys_dir, realm, generation, passphrase)
    except (NoSuchGeneration, GenerationSigns) as exc:  # the generation asked: see keys list
        refuse([Problem(field="--generation", reason=str(exc))], as_json)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)

    def render(d: dict[str, Any]) -> None:
        console.print("distrusted (export the trust list again for verifiers):", markup=False)
        _show_certs([d["distrusted"]])

    emit({"distrusted": info.as_dict()}, as_json, render)


@keys_app.command("list")
def list_keys(as_json: bool = JsonFlag) -> None:
    """Every certificate: the root and each realm's issuing generations (* = signs now,
    x = distrusted, with when: out of the trust list, nothing it signed verifies), and those
    made before the realm policy (`keys rotate` the realm whose current one lacks it)."""
    try:
        infos = list_certs(keys_dir_setting())
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    emit({"certificates": _as_dicts(infos)}, as_json, lambda d: _show_certs(d["certificates"]))


@keys_app.command("refresh-revocations")
def refresh_revocations(
    realm: Annotated[str | None, typer.Option(
        "--realm", metavar="REALM", callback=realm_flag,
        help=f"Only this realm's list ({', '.join(REALMS)}); default: all.")] = None,
    as_json: bool = JsonFlag,
) -> None:
    """Re-sign the revocation lists (entries unchanged) with a new next_update; run it from a
    cron well within SIBOOK_REVOCATION_LIST_HOURS so verifiers never hold a stale list."""
    from sibook.book import issuing  # the agency's signers refuse an expired certificate

    try:
        agency = issuing.agency(initialise=False)
        trust = agency.trust_list()
        renewed = [status.renew(agency.keys_dir / status.revocations_file(r), trust,
                                agency.signer(r), realm=r)
                   for r in ([realm] if realm else REALMS)]
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    rows = [{"realm": f.realm, "file": str(agency.keys_dir / f.source),
             "signed_at": f.signed_at.isoformat() if f.signed_at else None,
             "next_update": f.next_update.isoformat() if f.next_update else None}
            for f in renewed]

    def render(d: dict[str, Any]) -> None:
        for r in d["renewed"]:
            console.print(f"{r['realm']:<16} {r['file']}  signed {r['signed_at']}, "
                          f"next update {r['next_update']}", markup=False, highlight=False)

    emit({"renewed": rows}, as_json, render)
