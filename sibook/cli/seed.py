"""`sibook seed`: fill the database with a synthetic national population."""

from __future__ import annotations

import typer
from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

from sibook.cli.context import ready_engine
from sibook.cli.keys import REFUSED, keys_dir_setting, keys_problems
from sibook.cli.output import JsonFlag, console, emit, err_console, progress_hidden, refuse
from sibook.core.config import get_settings
from sibook.core.errors import ConflictError, Problem, ValidationError
from sibook.seed.service import seed as run_seed
from sibook.signing import keys


def seed(
    people: int = typer.Option(10_000, "--people", metavar="N", min=0, max=100_000_000,
                               help="How many persons to make."),
    employers: int = typer.Option(500, "--employers", metavar="N", min=1, max=10_000_000,
                                  help="How many employers to make."),
    seed_value: int = typer.Option(1, "--seed", metavar="N", help="Same seed, same population."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if persons exist."),
    as_json: bool = JsonFlag,
) -> None:
    """Seed a deterministic synthetic population: households, careers since 1995, HI cards;
    and the agency's signing keys when there are none yet (as `sibook keys init` would)."""
    engine = ready_engine()
    columns = (*Progress.get_default_columns()[:-1], MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console,
                  disable=progress_hidden(as_json), transient=False) as bar:
        task = bar.add_task("seeding persons", total=people)
        try:
            report = run_seed(
                engine=engine,
                people=people,
                employers=employers,
                seed=seed_value,
                if_empty=if_empty,
                progress=lambda n: bar.advance(task, n),
            )
        except ValidationError as exc:
            bar.stop()
            refuse(exc.problems, as_json)
        except ConflictError as exc:  # persons or employers there already: that database
            bar.stop()
            refuse([Problem(field="SIBOOK_DATABASE_URL", reason=str(exc))], as_json)
    # The books just issued are the agency's: with its keys made here, everything a newcomer
    # runs next (the trust list included, which never makes keys itself) finds the agency.
    try:
        made = keys.first_keys(keys_dir_setting(), get_settings().key_passphrase)
    except REFUSED as exc:
        refuse(keys_problems(exc), as_json)
    if made:
        err_console.print(f"made the agency's signing keys in {keys_dir_setting()} (as "
                          "`sibook keys init` would)", markup=False, highlight=False)
    data = {
        "people": report.people,
        "employers": report.employers,
        "rows": report.rows,
        "skipped": report.skipped,
    }
    emit(
        data,
        as_json,
        lambda d: console.print(
            f"the database already holds {report.held[0]:,} persons and {report.held[1]:,} "
            "employers; nothing seeded (a population of another size is seeded into a fresh "
            "database: remove its file, or name another in SIBOOK_DATABASE_URL)"
            if report.skipped
            else f"seeded {report.people:,} persons, {report.employers:,} employers, "
            f"{report.rows:,} rows"
        ),
    )
