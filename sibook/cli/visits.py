"""``sibook visits ...``: import a facility's claim file, list a person's HI visits, annul one
recorded wrongly (thin over sibook.visits.service and .annulments, as the API is)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import typer

from sibook.access.actions import Action
from sibook.cli.context import logged, operator_id, ready_engine
from sibook.cli.flags import RealmOpt, identifier, utf8_text
from sibook.cli.output import (
    JsonFlag,
    LimitOpt,
    as_typed,
    console,
    emit,
    err_console,
    reasons_of,
    refuse,
    refused_with,
    show_table,
)
from sibook.core.config import get_settings
from sibook.core.db import unit_of_work
from sibook.core.errors import Problem, SibookError, ValidationError
from sibook.core.vietnam_time import in_vietnam
from sibook.registry import reading as registry
from sibook.visits.annulments import UnknownVisit, annul, recorded_person, unknown
from sibook.visits.service import ClaimsRefused, VisitConflict, file_claims, listing

app = typer.Typer(help="HI visits (KCB history): the health facilities' claims "
                  "(Decision 130/QĐ-BYT XML), as the HI group holds them.",
                  no_args_is_help=True)


@app.command("import")
def import_claims(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help=(
        "A Decision 130/QĐ-BYT file: GIAMDINHHS, each HOSO's XML1 (TONG_HOP) in base64.")),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Record a facility's claim file, all or nothing. Records filed before with the same
    content change nothing; with other content the file is refused."""
    data = _read(file, as_json)
    try:
        with unit_of_work(ready_engine()) as session:
            answer, person_ids = file_claims(session=session, data=data, realm=realm,
                                             actor=operator_id())
            if not answer["replayed"]:  # filed before: a file run again changes nothing
                logged(session, Action.VISIT_FILE, "visits import", person_ids)
    except (ClaimsRefused, VisitConflict) as exc:
        with unit_of_work(ready_engine()) as session:  # its checks read the persons it named
            logged(session, Action.VISIT_FILE, "visits import", exc.person_ids,
                   outcome="refused")
        _report(exc.problems, as_json)
    except ValidationError as exc:
        _report(exc.problems, as_json)
    emit({"accepted": True, **answer}, as_json, _show_import)


def _read(file: Path, as_json: bool) -> bytes:
    """The file's bytes, refused past the size the API takes (SIBOOK_MAX_UPLOAD_BYTES): read
    whole, a file of any size (or a device that never ends) would take all the memory."""
    limit = get_settings().max_upload_bytes
    with file.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        _report([Problem(field="file", reason=(
            f"larger than {limit:,} bytes (SIBOOK_MAX_UPLOAD_BYTES, as the API takes): send "
            "the month's claims in several files"))], as_json)
    return data


def _report(problems: list[Problem], as_json: bool) -> NoReturn:
    if as_json:
        refuse(problems, as_json, {"accepted": False})
    show_table("Claim file refused: nothing was recorded", ("record", "field", "reason"),
               ((p.row, p.field, p.reason) for p in as_typed(problems)), on=err_console,
               style="red")
    raise typer.Exit(1)


def _show_import(d: dict[str, Any]) -> None:
    head = ("every record was filed before; nothing changed" if d["replayed"]
            else f"{_count(d['recorded'], 'visit')} recorded")
    console.print(f"facility {d['facility_code']}: {_count(d['records'], 'record')}, {head}"
                  + (f" ({d['unchanged']:,} filed before, unchanged)"
                     if d["unchanged"] and not d["replayed"] else ""), highlight=False)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


@app.command("list")
@refused_with(visits=[], total=0)  # refused, no visit listed, as a listing refused lists none
def list_visits(
    personal_id: str = typer.Argument(..., callback=identifier,
                                     help="12-digit personal ID."),
    limit: int = LimitOpt,
    offset: int = typer.Option(0, "--offset", metavar="N", min=0, max=10**9,
                               help="Latest visits to skip (the API's offset)."),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """A person's HI visits, the latest admission first, a page at a time as the API reads
    them (``total``: how many there are)."""
    try:
        with unit_of_work(ready_engine()) as session:
            person_id = registry.person_id_of(session=session, personal_id=personal_id,
                                              realm=realm)
            result = listing(session=session, person_id=person_id, personal_id=personal_id,
                             limit=limit, offset=offset, with_annulled=True)
            logged(session, Action.VISIT_READ, "visits list", [person_id])
    except ValidationError as exc:
        refuse(exc.problems, as_json)
    emit(result, as_json, _show_list)


@app.command("annul")
def annul_visit(
    facility: str = typer.Argument(..., callback=identifier,
                                  help="MA_CSKCB: the facility of the visit."),
    link_code: str = typer.Argument(..., callback=identifier,
                                    help="MA_LK: the facility's key of the visit."),
    reason: str = typer.Option(..., "--reason", metavar="TEXT",
                               help="Why it is annulled (e.g. another patient's claim)."),
    realm: str = RealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """Annul a visit recorded wrongly: the person's lists leave it out, officers' show it
    annulled, and its MA_LK is not filed again. Annulling it again changes nothing."""
    reason = utf8_text(reason, "--reason")  # refused before the act is logged
    person_id: int | None = None
    try:
        with unit_of_work(ready_engine()) as session:
            person_id = recorded_person(session=session, facility_code=facility,
                                        link_code=link_code)
            if person_id is None or registry.person_facts(
                    session=session, person_id=person_id).realm != realm:
                raise unknown(facility, link_code)
            answer = annul(session=session, person_id=person_id, facility_code=facility,
                           link_code=link_code, reason=reason, actor=operator_id())
            logged(session, Action.VISIT_ANNUL, "visits annul", [person_id])
    except SibookError as exc:
        if person_id is not None:  # an attempt on someone's visit: in their log, as the API's
            with unit_of_work(ready_engine()) as session:
                logged(session, Action.VISIT_ANNUL, "visits annul", [person_id],
                       outcome="not_found" if isinstance(exc, UnknownVisit) else "refused")
        # an unknown visit: its key, MA_LK (the facility's code may be right)
        refuse(reasons_of(exc, "link_code"), as_json, {"annulled": False},
               aliases={"facility_code": "facility"})
    emit(answer, as_json, lambda d: console.print(
        f"visit {d['link_code']} of facility {d['facility_code']} "
        + ("was annulled already" if d["replayed"] else "annulled")
        + f" on {_vietnam_minute(d['annulled_at'])}: {d['reason']}", markup=False,
        highlight=False))


def _show_list(data: dict[str, Any]) -> None:
    if not data["visits"]:
        console.print(f"no HI visits for {data['personal_id']}"
                      + (f" past the {data['total']:,} there are" if data["total"] else ""))
        return
    shown = len(data["visits"])
    show_table(f"HI visits of {data['personal_id']}" + (
        "" if shown == data["total"] else f": {shown:,} of {data['total']:,} (--offset, --limit)"),
               # MA_LK: the key `visits annul` takes, with the facility's code.
               ("admitted", "discharged", "facility", "MA_LK", "visit", "diagnosis",
                "total cost", "HI paid", "patient paid", "annulled"),
               [(v["admitted_at"].replace("T", " "), v["discharged_at"].replace("T", " "),
                 v["facility_code"], v["link_code"], v["visit_type_name"], v["diagnosis"],
                 v["total_cost"], v["hi_paid"], v["patient_paid"],
                 v["annulment"] and _annulment(v["annulment"])) for v in data["visits"]])


def _annulment(a: dict[str, Any]) -> str:
    """A visit's annulment as the table shows it: when (Vietnam's clock), why and by whom."""
    return f"{_vietnam_minute(a['annulled_at'])}: {a['reason']} (by {a['annulled_by']})"


def _vietnam_minute(utc: str) -> str:
    """An answer's UTC instant on Vietnam's clock, as the visits' own times are shown: an
    annulment at 20:00 UTC on 31 March is one of 1 April in Vietnam."""
    return in_vietnam(datetime.fromisoformat(utc)).strftime("%Y-%m-%d %H:%M")
