"""`sibook declare`: an employer's monthly list (D02-LT). A module of its own, so `payments`
and `ledger` do not load the bulk-file reader (Polars) it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sibook.access import details
from sibook.access.actions import Action
from sibook.cli.context import logged, ready_engine
from sibook.cli.flags import UnitRealmOpt, identifier, parse_month
from sibook.cli.output import (
    JsonFlag,
    as_typed,
    console,
    emit,
    err_console,
    progress_hidden,
    refuse,
    refused_with,
    show_table,
)
from sibook.contributions import staging
from sibook.contributions.declare import MAX_BATCH, ConcurrentFiling, DeclarationRefused
from sibook.contributions.declare import declare as file_declaration
from sibook.core.db import unit_of_work
from sibook.core.errors import ConflictError, Problem, ValidationError
from sibook.registry import reading as registry


@refused_with(accepted=False)
def declare(
    # FILE, as the README writes the command and a refusal of it names it (not Typer's `file`).
    file: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="FILE",
                                help="CSV, XLSX or JSON."),
    employer: str = typer.Option(..., "--employer", metavar="CODE", callback=identifier,
                                 help="Unit code of the filing employer."),
    month: str = typer.Option(..., "--month", metavar="YYYY-MM", help="Declared month, YYYY-MM."),
    batch: int = typer.Option(1, "--batch", metavar="N", min=1, max=MAX_BATCH,
                              help="Batch (đợt) within the month."),
    realm: str = UnitRealmOpt,
    as_json: bool = JsonFlag,
) -> None:
    """File a monthly list of increases, decreases and adjustments (D02-LT)."""
    period = parse_month(month, "--month")
    refused = details.declaration(employer, period, batch)  # a filing that did not land
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed:,} lines"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console,
                  disable=progress_hidden(as_json), transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def progress(stage: str, lines: int) -> None:
            bar.update(task, description=stage, completed=lines)

        try:
            with unit_of_work(ready_engine()) as session:
                registry.employer_by_code(session=session, code=employer, realm=realm)
                result = file_declaration(
                    session=session,
                    data=file,
                    file_name=file.name,
                    employer_code=employer,
                    month=period,
                    batch_no=batch,
                    progress=progress,
                )
                if not result["replayed"]:
                    logged(session, Action.CONTRIBUTION_DECLARE, "declare",
                           staging.person_ids(session.connection()),
                           detail=details.declaration(employer, period, batch,
                                                      result["declaration_id"]))
        except ValidationError as exc:
            bar.stop()
            _log_reads_of_refused(exc, refused)
            _report(exc.problems, as_json)
        except ConflictError as exc:
            bar.stop()
            _log_reads_of_refused(exc, refused)
            field = "file" if isinstance(exc, ConcurrentFiling) else "--batch"
            refuse([Problem(field=field, reason=str(exc))], as_json)
    emit({"accepted": True, **result}, as_json, _show_declaration)


def _log_reads_of_refused(exc: Exception, detail: str) -> None:
    """A filing refused after its checks ran was rolled back, but the checks read the persons
    it named: logged as refused, with the filing's ``detail``."""
    if isinstance(exc, DeclarationRefused | ConcurrentFiling):
        with unit_of_work(ready_engine()) as session:
            logged(session, Action.CONTRIBUTION_DECLARE, "declare", exc.person_ids,
                   outcome="refused", detail=detail)


def _report(problems: list[Problem], as_json: bool) -> NoReturn:
    if as_json:
        refuse(problems, as_json)
    show_table("Declaration refused: nothing was changed", ("row", "column", "reason"),
               ((p.row, p.field, p.reason) for p in as_typed(problems)), on=err_console,
               style="red")
    raise typer.Exit(1)


def _show_declaration(d: dict[str, Any]) -> None:
    head = "already filed; nothing changed" if d["replayed"] else "accepted"
    console.print(
        f"declaration {d['declaration_id']} of {d['employer']} for {d['month']} "
        f"(batch {d['batch']}): {head}"
    )
    # A filing sent again changed nothing: what follows is what its first filing did.
    first = "when first filed: " if d["replayed"] else ""
    codes = ", ".join(f"{code} {n:,}" for code, n in d["case_codes"].items())
    cards = f"; HI cards issued {d['hi_cards_issued']:,}" if d["hi_cards_issued"] else ""
    console.print(
        f"{first}{d['lines']:,} line{'' if d['lines'] == 1 else 's'} ({codes}); periods "
        f"opened {d['periods_opened']:,}, closed {d['periods_closed']:,}{cards}"
    )
    for month, amount in d["dues"].items():
        console.print(f"  dues {month}: {amount:+,} VND")
