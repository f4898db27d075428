"""``sibook book ...``: export, verify, revoke, reinstate, history and the HI card of e-SI
books.

Persons of the defence and public-security realms exist for these commands only when
``--realm`` names their realm: to civil use they are absent, not forbidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sibook.access.actions import Action
from sibook.book import service, versions
from sibook.cli import book_verify
from sibook.cli.context import logged, ready_engine
from sibook.cli.flags import RealmOpt, identifier, utf8_text
from sibook.cli.out_files import (
    STDOUT_HELP,
    output_flag,
    printed_alone,
    said_on,
    separate_outputs,
    where,
    write_outputs,
)
from sibook.cli.output import (
    JsonFlag,
    console,
    emit,
    reasons_of,
    refuse,
    show_fields,
)
from sibook.core.db import unit_of_work
from sibook.core.errors import Problem, ServerFault, SibookError, ValidationError
from sibook.core.period import Period
from sibook.registry import reading as registry

if TYPE_CHECKING:
    pass

app = typer.Typer(help="e-SI books: show, export signed, verify, revoke, reinstate, history, "
                  "HI card, benefit estimate.", no_args_is_help=True)
VersionOpt = Annotated[int, typer.Option("--version", metavar="N", min=1,
                                         max=versions.MAX_VERSION,
                                         help="The version's number (see `book history`).")]

PersonalId = Annotated[str, typer.Argument(
    callback=identifier, help="The person's 12-digit personal ID.")]


def _current(personal_id: str, realm: str, command: str) -> tuple[versions.Version, bool]:
    with _recording(personal_id, realm, command) as current:
        return current


@contextmanager
def _recording(personal_id: str, realm: str, command: str
               ) -> Iterator[tuple[versions.Version, bool]]:
    """The current version (recorded first if the facts changed), in a transaction that commits
    when the block ends: what signs it goes in the block, so a version is recorded with its
    signature or not at all (a wrong passphrase, an expired certificate records nothing).
    The read rolls back with it, so a refusal after the person was read (a key that cannot
    sign, an output that cannot be written) is logged apart, as the API logs it."""
    person_id: int | None = None
    try:
        with unit_of_work(ready_engine()) as session:
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            logged(session, Action.BOOK_READ, command, [person_id])
            yield service.current_version(session=session, person_id=person_id,
                                          as_of=date.today())
    except (SibookError, typer.Exit):  # typer.Exit: write_outputs' refusal
        _refused(person_id, Action.BOOK_READ, command)
        raise


@app.command("export")
def export(
    personal_id: PersonalId,
    pdf: Annotated[str, typer.Option("--pdf", metavar="OUT.pdf", parser=output_flag("--pdf"),
                                     help="Where to write the signed PDF;" + STDOUT_HELP)],
    qr: Annotated[str | None, typer.Option(
        "--qr", metavar="OUT.txt", parser=output_flag("--qr"),
        help="Also write the QR text;" + STDOUT_HELP)] = None,
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Assemble the book (a new version if anything changed), sign it, write PDF and QR."""
    printed_alone({"--pdf": pdf, "--qr": qr}, as_json)
    separate_outputs("--pdf", pdf, "--qr", qr)
    from sibook.book import issuing  # signing and PDF libraries load only when used
    from sibook.signing.certs import common_name
    try:
        with _recording(personal_id, realm, "book export") as (version, created):
            agency = issuing.agency()
            signer = agency.signer(version.payload["header"]["realm"])
            document = issuing.book_pdf(version, agency)
            text = issuing.issue_qr(version, signer) if qr is not None else None
            write_outputs([("--pdf", pdf, document)] + (
                [] if qr is None or text is None else
                [("--qr", qr, (text + "\n").encode("ascii"))]), as_json)
    except SibookError as exc:
        refuse(_problems(exc), as_json)
    data = {"personal_id": personal_id, "version": version.version,
            "content_hash": version.content_hash, "new_version": created,
            "signer": common_name(signer.certificate), "pdf": where(pdf),
            "qr": where(qr) if qr else None}
    emit(data, as_json, lambda d: said_on(pdf, qr).print(
        f"book {d['personal_id']} version {d['version']}"
        f"{' (new)' if d['new_version'] else ''} signed by {d['signer']}: {d['pdf']}"
        + (f", QR {d['qr']}" if d["qr"] else ""), markup=False, highlight=False))


app.command("verify")(book_verify.verify)
app.command("verify-card")(book_verify.verify_card)


@app.command("revoke")
def revoke(
    personal_id: PersonalId,
    version: VersionOpt,
    reason: Annotated[str, typer.Option("--reason", metavar="TEXT",
                                        help="Why (e.g. suspected fraud).")],
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Temporarily revoke one book version; verification then reports it revoked."""
    from sibook.book import issuing  # signing and PDF libraries load only when used
    reason = utf8_text(reason, "--reason")  # refused before the act is logged as allowed
    person_id = None
    try:
        person_id = _approved(personal_id, realm, "book revoke")
        with unit_of_work(ready_engine()) as session:
            entry = issuing.revoke_version(session, issuing.agency(), person_id=person_id,
                                           personal_id=personal_id, version=version,
                                           reason=reason)
    except SibookError as exc:
        _refused(person_id, Action.BOOK_ISSUE, "book revoke")
        refuse(_problems(exc), as_json)
    emit({"revoked": entry.__dict__}, as_json, lambda d: console.print(
        # "since": revoking again for the same reason (a retry) answers the revocation on record
        f"revoked version {d['revoked']['version']} of book {d['revoked']['personal_id']} since "
        f"{d['revoked']['revoked_at']}: {d['revoked']['reason']}", markup=False,
        highlight=False))


@app.command("reinstate")
def reinstate(
    personal_id: PersonalId,
    version: VersionOpt,
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Lift a temporary revocation (the suspicion was cleared); the version is valid again."""
    from sibook.book import issuing  # signing and PDF libraries load only when used
    person_id = None
    try:
        person_id = _approved(personal_id, realm, "book reinstate")
        with unit_of_work(ready_engine()) as session:
            lifted = issuing.reinstate_version(session, issuing.agency(), person_id=person_id,
                                               personal_id=personal_id, version=version)
    except SibookError as exc:
        _refused(person_id, Action.BOOK_ISSUE, "book reinstate")
        refuse(_problems(exc), as_json)
    # "since": reinstating again (a retry) answers the reinstatement on record, as revoke does
    emit({"reinstated": {"personal_id": personal_id, "version": version,
                         "reinstated_at": lifted.reinstated_at}}, as_json,
         lambda d: console.print(f"version {version} of book {personal_id} stands again since "
                                 f"{d['reinstated']['reinstated_at']}", markup=False,
                                 highlight=False))


def _problems(exc: SibookError) -> list[Problem]:
    """A book command's refusal named by what the user changes to get past it: the version
    asked (``--version``: none of that number, or not revoked), the agency's keys
    (``keys_problems``: SIBOOK_KEYS_DIR, SIBOOK_KEY_PASSPHRASE), the fonts the book is drawn
    in; else the person (PERSONAL_ID: none registered, a version revoked, no HI card)."""
    if isinstance(exc, ValidationError):
        return reasons_of(exc, "personal_id")
    from sibook.book.fonts import FontMissing  # loaded already by the commands that need it
    from sibook.cli.keys import keys_problems
    from sibook.signing import keys

    if isinstance(exc, FontMissing):
        return [Problem(field="fonts", reason=str(exc))]
    if isinstance(exc, keys.NoKeys | keys.NoPassphrase | keys.KeyUnusable | ServerFault):
        return keys_problems(exc)  # ServerFault: the revocation lists in the keys folder
    return reasons_of(exc, "personal_id")  # NoVersion's, NotRevoked's field: --version


def _approved(personal_id: str, realm: str, purpose: str) -> int:
    """The person whose book the operator revokes or reinstates, the act logged first (in
    its own transaction, before the signed list changes)."""
    with unit_of_work(ready_engine()) as session:
        person_id = registry.person_id_of(session=session, personal_id=personal_id, realm=realm)
        logged(session, Action.BOOK_ISSUE, purpose, [person_id])
    return person_id


def _refused(person_id: int | None, action: Action, purpose: str) -> None:
    """An act on a person's book that was refused after the person was found (a revocation
    the list refused, an export that could not sign) is logged as refused, in a transaction
    of its own that outlives the refused one, as the API logs it."""
    if person_id is not None:
        with unit_of_work(ready_engine()) as session:
            logged(session, action, purpose, [person_id], outcome="refused")


@app.command("history")
def history(personal_id: PersonalId, realm: str = RealmOpt,
            as_json: bool = JsonFlag) -> None:
    """Every version of the book, oldest first, and whether the hash chain is intact."""
    from sibook.book import issuing  # signing and PDF libraries load only when used
    try:
        _current(personal_id, realm, "book history")  # the history ends with today's content
        with unit_of_work(ready_engine()) as session:
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            data = issuing.history(session, person_id=person_id, personal_id=personal_id)
    except SibookError as exc:
        refuse(_problems(exc), as_json)
    emit(data, as_json, _show_history)


@app.command("estimate")
def estimate_cmd(personal_id: PersonalId, realm: str = RealmOpt, as_json: bool = JsonFlag
                 ) -> None:
    """A pension if the person retired this month, or a one-time withdrawal, estimated from
    the current book by the law's formulas (the SI office's decision is what is paid)."""
    from sibook.book.estimate import estimate

    try:
        v, _ = _current(personal_id, realm, "book estimate")
    except SibookError as exc:
        refuse(_problems(exc), as_json)
    data = estimate(v.payload, Period.of(date.today()))
    emit(data, as_json, lambda d: _show_estimate(personal_id, d))


def _show_estimate(personal_id: str, d: dict[str, Any]) -> None:
    """The estimate in words: a year as a year (2026, not 2,026), the pension in a sentence
    (not a Python dict), yes or no, and the note that it is an estimate."""
    pension = d["pension"]
    if pension is not None:
        monthly = pension["monthly_pension"]
        amount = "" if monthly is None else f": {monthly:,} VND a month"
        extra = pension["extra_lump_sum"]
        pension = (f"{pension['rate_percent']:g}% of the average salary{amount} from "
                   f"{pension['from_month']}"
                   + ("" if not extra else f", and an extra lump sum of {extra:,} VND"))
    shown = {**d, "revalued_for": None if d["revalued_for"] is None else str(d["revalued_for"]),
             "average_rule": d["average_rule"] and d["average_rule"]["text"],
             "reached_retirement_age": "yes" if d["reached_retirement_age"] else "no",
             "pension": pension}
    show_fields(f"Benefit estimate for {personal_id}, {d['as_of']}",
                {k: x for k, x in shown.items() if k != "note"})
    console.print(d["note"], markup=False, highlight=False)


@app.command("show")
def show(
    personal_id: PersonalId,
    version: Annotated[int | None, typer.Option(
        "--version", metavar="N", min=1, max=versions.MAX_VERSION, help="An earlier version "
        "(default: the current one, recorded first if the facts changed).")] = None,
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """The book's content as JSON (version, content hash, previous hash, book): the current
    version, or any earlier one as it was recorded."""
    try:
        if version is None:
            v, _ = _current(personal_id, realm, "book show")
        else:
            with unit_of_work(ready_engine()) as session:
                person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                                  realm=realm)
                logged(session, Action.BOOK_READ, "book show", [person_id])
                found = versions.get(session=session, person_id=person_id, version=version)
            if found is None:
                raise versions.NoVersion(personal_id, version)
            v = found
    except SibookError as exc:
        refuse(_problems(exc), as_json)
    data = {"version": v.version, "content_hash": v.content_hash, "prev_hash": v.prev_hash,
            "book": v.payload}
    emit(data, as_json, lambda d: show_fields(
        f"Book {personal_id}, version {d['version']} ({d['content_hash'][:16]})",
        d["book"]["totals"]))


def _show_history(d: dict[str, Any]) -> None:
    from sibook.book import issuing

    why = issuing.known_revocations()  # the operator's own list says why; the JSON never does
    for v in d["versions"]:
        reason = why.is_revoked(d["personal_id"], v["version"], v["content_hash"])
        mark = f"  REVOKED: {reason}" if v["revoked"] else ""
        console.print(f"v{v['version']:<3} {v['created_at'][:19]}  {v['content_hash'][:16]}  "
                      f"prev {(v['prev_hash'] or '-')[:16]}{mark}", markup=False,
                      highlight=False)
    console.print("chain intact" if d["chain_intact"] else "CHAIN BROKEN: "
                  + "; ".join(d["problems"]), markup=False)


@app.command("card")
def card(
    personal_id: PersonalId,
    png: Annotated[str, typer.Option("--png", metavar="OUT.png", parser=output_flag("--png"),
                                     help="Where to write the card image;" + STDOUT_HELP)],
    qr: Annotated[str | None, typer.Option(
        "--qr", metavar="OUT.txt", parser=output_flag("--qr"),
        help="Also write the card's signed QR text (for `book verify-card`);"
        + STDOUT_HELP)] = None,
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """The e-HI card image (PNG) with a signed QR, from the current book version."""
    printed_alone({"--png": png, "--qr": qr}, as_json)
    separate_outputs("--png", png, "--qr", qr)
    from sibook.book import issuing  # signing and PDF libraries load only when used
    try:
        with _recording(personal_id, realm, "book card") as (version, _):
            shown, image = issuing.hi_card(version, issuing.agency(), on=datetime.now(UTC))
            write_outputs([("--png", png, image)] + (
                [] if qr is None else [("--qr", qr, (shown["qr"] + "\n").encode("ascii"))]),
                as_json)
    except SibookError as exc:
        refuse(_problems(exc), as_json)
    data = {"personal_id": personal_id, "version": version.version, "png": where(png),
            "qr": where(qr) if qr else None, "card_number": shown["card_number"],
            "valid_to": shown["valid_to"]}
    emit(data, as_json, lambda d: said_on(png, qr).print(
        f"HI card {d['card_number']} (valid to {d['valid_to']}): {d['png']}"
        + (f", QR {d['qr']}" if d["qr"] else ""), markup=False, highlight=False))
