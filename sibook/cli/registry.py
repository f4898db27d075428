"""`sibook persons ...` and `sibook employers ...`: the registry section of the contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from sibook.cli.context import ready_engine
from sibook.cli.output import JsonFlag, console, emit, refuse
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, ValidationError
from sibook.registry import service
from sibook.registry.importer import parse_registry_file

persons_app = typer.Typer(help="Insured persons.", no_args_is_help=True)
employers_app = typer.Typer(help="Employers (units).", no_args_is_help=True)

LimitOpt = typer.Option(100, "--limit", min=1, max=1_000_000, help="At most this many rows.")


@persons_app.command("list")
def persons_list(
    limit: int = LimitOpt,
    employer: str | None = typer.Option(None, "--employer", help="Only this unit's workers."),
    as_json: bool = JsonFlag,
) -> None:
    """List persons in personal-ID order (defence and public-security persons never appear)."""
    try:
        with unit_of_work(ready_engine()) as session:
            rows = service.list_persons(session=session, limit=limit, employer_code=employer)
    except ValidationError as exc:
        refuse(exc.problems, as_json, {"persons": []})
    data = {
        "persons": [
            {
                "personal_id": r.personal_id,
                "full_name": r.full_name,
                "birth_date": r.birth_date.isoformat(),
                "employer": r.employer,
            }
            for r in rows
        ]
    }
    emit(data, as_json, lambda d: _table(d["persons"], "Persons"))


@persons_app.command("import")
def persons_import(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON registry file."),
    as_json: bool = JsonFlag,
) -> None:
    """Register persons, employers and households from one JSON file, all or nothing."""
    try:
        batch = parse_registry_file(file)
        with unit_of_work(ready_engine()) as session:
            counts = service.import_batch(session=session, batch=batch)
    except ValidationError as exc:
        refuse(exc.problems, as_json, {"imported": False})
    except ConflictError as exc:
        refuse([Problem(field="input", reason=str(exc))], as_json, {"imported": False})
    emit(
        {"imported": True, **counts},
        as_json,
        lambda d: console.print(f"imported {counts}", highlight=False),
    )


@employers_app.command("list")
def employers_list(limit: int = LimitOpt, as_json: bool = JsonFlag) -> None:
    """List employers in unit-code order."""
    with unit_of_work(ready_engine()) as session:
        rows = service.list_employers(session=session, limit=limit)
    data = {"employers": [r.__dict__ for r in rows]}
    emit(data, as_json, lambda d: _table(d["employers"], "Employers"))


def _table(rows: list[dict[str, Any]], title: str) -> None:
    if not rows:
        console.print(f"no {title.lower()}")
        return
    table = Table(title=title)
    for key in rows[0]:
        table.add_column(key)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)
