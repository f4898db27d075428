"""How every command answers: one JSON object with ``--json``, readable text otherwise.

Exit codes follow the public contract: 0 success/valid, 1 well-formed but invalid or refused,
2 usage error (Typer's own code for bad flags).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from sibook.core.errors import Problem

console = Console()
err_console = Console(stderr=True)

JsonFlag = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else.")


# A byte of an argument that is not UTF-8 reaches Python as a lone surrogate (surrogateescape);
# written as it is, it is either that raw byte (the JSON is then not UTF-8) or, with a strict
# stdout encoding, a UnicodeEncodeError. JSON's own escape writes it in plain ASCII.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def print_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, default=str)
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    sys.stdout.write(text + "\n")


def emit(data: dict[str, Any], as_json: bool, render: Callable[[dict[str, Any]], None]) -> None:
    """Answer with ``data``: as JSON, or through ``render`` for people."""
    if as_json:
        print_json(data)
    else:
        render(data)


def refuse(
    reasons: list[Problem] | str,
    as_json: bool,
    extra: dict[str, Any] | None = None,
) -> NoReturn:
    """Refuse well-formed but invalid input: exit 1, with the reasons on stderr or in the JSON."""
    problems = [Problem(field="input", reason=reasons)] if isinstance(reasons, str) else reasons
    if as_json:
        print_json({**(extra or {}), "errors": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            err_console.print(f"[red]error:[/red] {p}", markup=True, highlight=False)
    raise typer.Exit(1)


def usage_error(flag: str, message: str) -> NoReturn:
    """A bad flag value that Typer could not catch by type: exit 2 like any usage error (the
    entry point prints it, and with ``--json`` also as JSON naming ``flag``)."""
    raise typer.BadParameter(message, param_hint=flag)


def show_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], *,
               on: Console = console, style: str | None = None) -> None:
    """A titled table; ``None`` cells print empty, numbers with thousands separators."""
    table = Table(title=title, title_style=style)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    on.print(table)


def show_fields(title: str, fields: Mapping[str, object]) -> None:
    """A titled table of names and values (totals, a summary): one row each."""
    table = Table(title=title, show_header=False)
    for name, value in fields.items():
        table.add_row(name.replace("_", " "), _cell(value))
    console.print(table)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def write_out(path: Path, data: bytes, as_json: bool, flag: str) -> None:
    """Write an output file, or refuse (exit 1) saying why it cannot be written: a folder that
    does not exist, a directory, a full disk; never a traceback."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        refuse([Problem(field=flag, reason=f"cannot write {path}: {exc.strerror or exc}")],
               as_json)
