"""``sibook ids``: look inside an identifier (personal ID, legacy SI code, HI card number)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from sibook.cli.output import JsonFlag, console, emit, err_console
from sibook.ids.inspect import inspect as inspect_value
from sibook.ids.provinces import birth_place_name, historical_province

app = typer.Typer(help="Identifiers: personal ID, legacy SI code, HI card number.",
                  no_args_is_help=True)

_KIND_NAMES = {"personal_id": "personal ID", "si_code": "legacy SI code",
               "hi_card": "legacy HI card number"}
# In reading order of the number itself.
_DETAIL_LABELS = {"group_code": "participant group", "benefit_level": "benefit level",
                  "province_code": "province code", "sex": "sex", "birth_year": "birth year",
                  "si_code": "SI code"}


@app.command("inspect")
def inspect(
    value: str = typer.Argument(..., help=(
        "The identifier to inspect; the spaces around it are no part of it.")),
    as_json: bool = JsonFlag,
) -> None:
    """Say what VALUE is and whether it is valid. Exit 0 when valid, 1 when not."""
    answer = inspect_value(value)
    emit(answer, as_json, _render)
    if not answer["valid"]:
        raise typer.Exit(1)


def _place_name(answer: dict[str, Any]) -> str | None:
    code = answer.get("province_code", "")
    if answer["kind"] == "hi_card":
        province = historical_province(code)
        return province.name if province else None
    return birth_place_name(code)


def _render(answer: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    # Text, not a string: Rich reads a string's brackets as markup, so "[/x]" crashed the table
    # and "[bold]..." showed a value other than the one given.
    table.add_row("value", Text(repr(answer["value"])))
    table.add_row("kind", _KIND_NAMES.get(answer["kind"] or "", "not a known identifier"))
    table.add_row("verdict", Text("valid", style="green") if answer["valid"]
                  else Text("not valid", style="red"))
    for key, label in _DETAIL_LABELS.items():
        if answer.get(key) is not None:  # the JSON's nulls are the kind's parts it has not
            place = _place_name(answer) if key == "province_code" else None
            table.add_row(label, f"{answer[key]} ({place})" if place else str(answer[key]))
    console.print(table)
    for reason in answer["errors"]:
        err_console.print(f"error: {reason}", markup=False, highlight=False)
