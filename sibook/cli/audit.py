"""``sibook audit``: check the access log's hash chain."""

from __future__ import annotations

from typing import Any

import typer

from sibook.access import chain
from sibook.cli.context import ready_engine
from sibook.cli.output import JsonFlag, console, emit, err_console
from sibook.core.db import unit_of_work

app = typer.Typer(help="The access log: check its hash chain.", no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = JsonFlag) -> None:
    """Walk the hash chain of the access log; exit 1 at the first edited, deleted or moved entry."""
    with unit_of_work(ready_engine()) as session:
        report = chain.verify(session=session)
    data: dict[str, Any] = {"intact": report.intact, "entries": report.entries,
                            "first_bad_seq": report.first_bad_seq, "reason": report.reason}

    def render(d: dict[str, Any]) -> None:
        if d["intact"]:
            console.print(f"access log intact: {d['entries']} entries")
        else:
            err_console.print(f"access log BROKEN at entry {d['first_bad_seq']}: {d['reason']}",
                              markup=False, highlight=False)

    emit(data, as_json, render)
    if not report.intact:
        raise typer.Exit(1)
