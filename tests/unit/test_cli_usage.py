"""Each command's usage line reads as the contract and the README write the command: its
arguments by their names in capitals, then the options it needs with what they take, then
``[OPTIONS]`` (Typer wrote ``sibook book export [OPTIONS] {personal_id}``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from sibook.cli.flags import identifier
from sibook.cli.main import _COMMANDS, app


@pytest.mark.parametrize(("command", "usage"), [
    (["declare"], "sibook declare FILE --employer CODE --month YYYY-MM [OPTIONS]"),
    (["book", "export"], "sibook book export PERSONAL_ID --pdf OUT.pdf [OPTIONS]"),
    (["book", "verify"], "sibook book verify FILE [OPTIONS]"),
    (["trust-list", "export"], "sibook trust-list export OUT [OPTIONS]"),
    (["benefits", "decide"], "sibook benefits decide PERSONAL_ID DOSSIER --outcome OUTCOME "
                             "--decided YYYY-MM-DD --decision-no NO [OPTIONS]"),
    (["db", "upgrade"], "sibook db upgrade [REVISION] [OPTIONS]"),
    (["employers", "add"], "sibook employers add --code CODE --name NAME --province NN "
                           "--region I|II|III|IV [OPTIONS]"),
    (["rules", "pension"], "sibook rules pension --sex male|female --contribution-months N "
                           "[OPTIONS]"),
    (["rules", "retirement"], "sibook rules retirement --sex male|female --birth-date "
                              "YYYY-MM-DD [OPTIONS]"),
    (["rules", "lump-sum"], "sibook rules lump-sum --months-before-2014 N --months-from-2014 N "
                            "--average-salary VND [OPTIONS]"),
    (["rules", "unemployment"], "sibook rules unemployment --average-salary VND "
                                "--contribution-months N --region I|II|III|IV --termination "
                                "YYYY-MM-DD [OPTIONS]"),
    (["rules", "sickness"], "sibook rules sickness --salary VND --days N --years-contributed N "
                            "[OPTIONS]"),
    (["rules", "maternity-allowance"], "sibook rules maternity-allowance --month YYYY-MM "
                                       "--children N [OPTIONS]"),
    (["rules", "late-interest"], "sibook rules late-interest --amount VND --days-late N "
                                 "[OPTIONS]"),
    (["rules", "contribution"], "sibook rules contribution --month YYYY-MM --salary VND "
                                "[OPTIONS]"),
])
def test_a_usage_line_reads_as_the_contract_writes_the_command(command: list[str],
                                                               usage: str) -> None:
    shown = CliRunner().invoke(app, [*command, "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert f"Usage: {usage}" in " ".join(shown.output.split())


def _leaves(command: Any, path: list[str]) -> list[tuple[str, Any]]:
    """Every command under ``command`` (Typer's own copy of Click: its classes, not click's)."""
    ctx = command.context_class(command, info_name=path[-1])
    if not isinstance(command, TyperGroup):
        return [(" ".join(path), ctx)]
    names = list(_COMMANDS) if len(path) == 1 else command.list_commands(ctx)
    return [leaf for name in names
            for leaf in _leaves(command.get_command(ctx, name), [*path, name])]


def test_no_usage_line_names_an_argument_in_braces_or_in_lower_case() -> None:
    commands = _leaves(typer.main.get_command(app), ["sibook"])
    assert len(commands) > 40
    for path, ctx in commands:
        usage = " ".join(ctx.command.collect_usage_pieces(ctx))
        assert "{" not in usage and usage.endswith("[OPTIONS]"), path
        for argument in (p for p in ctx.command.params if p.param_type_name == "argument"):
            assert argument.metavar and argument.metavar.upper() == argument.metavar, path
            assert argument.metavar in usage, path


def test_every_parameter_has_help_and_money_says_vnd() -> None:
    """The help lists what each argument and flag takes; an amount says its unit, VND, and
    the rules commands' counts theirs (months, days, years, children), as their help reads."""
    rules = 0
    for path, ctx in _leaves(typer.main.get_command(app), ["sibook"]):
        for param in ctx.command.params:
            if param.name in ("as_json", "help"):
                continue
            said = getattr(param, "help", None)
            assert said, (path, param.name)
            if param.name in ("salary", "income", "amount", "monthly", "allowances") or (
                    param.name and param.name.endswith("average_salary")):
                assert "VND" in said or param.metavar == "VND", (path, param.name)
            if path.startswith("sibook rules ") and param.metavar == "N":
                rules += 1
                assert any(unit in said.lower() for unit in
                           ("months", "days", "years", "children")), (path, param.name)
    assert rules >= 10


def test_no_rules_option_falls_back_to_its_name_in_capitals() -> None:
    """Every option of ``sibook rules`` that takes a value says what it takes (VND, N,
    YYYY-MM, I|II|III|IV, ...), in its usage line and its help, as the rest of the CLI does;
    Click's fallback would write ``--contribution-months CONTRIBUTION_MONTHS``."""
    leaves = [(path, ctx) for path, ctx in _leaves(typer.main.get_command(app), ["sibook"])
              if path.startswith("sibook rules ")]
    assert len(leaves) == 8
    for path, ctx in leaves:
        shown = CliRunner().invoke(app, [*path.split()[1:], "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        for param in ctx.command.params:
            if param.param_type_name != "option" or param.is_flag or param.name == "help":
                continue
            fallback = str(param.name).upper()
            assert param.metavar and param.metavar != fallback, (path, param.name)
            assert fallback not in shown.output, (path, param.name)


def _groups(command: Any, path: list[str]) -> list[tuple[str, Any]]:
    """``sibook`` and every command group under it, as ``_leaves`` walks them."""
    if not isinstance(command, TyperGroup):
        return []
    ctx = command.context_class(command, info_name=path[-1])
    names = list(_COMMANDS) if len(path) == 1 else command.list_commands(ctx)
    return [(" ".join(path), command), *(
        group for name in names
        for group in _groups(command.get_command(ctx, name), [*path, name]))]


# Typer's type in angle brackets, where the help should say what a parameter takes: <int>,
# <str>, <bool>, <float>, <list[str]>, <int range>, <datetime>, <path>...
_TYPE_PLACEHOLDER = re.compile(r"<[a-z][\w\[\]|,. ]*>")


def test_no_help_shows_a_type_in_angle_brackets() -> None:
    """Every command's and group's help, ``sibook --help`` included, says what each argument
    and option takes by its name or unit (PERSONAL_ID, VND, YYYY-MM), a flag nothing at all:
    Typer 0.29 wrote ``PERSONAL_ID <str>``, ``--json <bool>``, ``--help <bool>`` and
    ``--install-completion <bool>``."""
    root = typer.main.get_command(app)
    paths = [path for path, _ in _groups(root, ["sibook"]) + _leaves(root, ["sibook"])]
    assert len(paths) > 55
    for path in paths:
        shown = CliRunner().invoke(app, [*path.split()[1:], "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        assert _TYPE_PLACEHOLDER.findall(shown.output) == [], path


def test_every_group_and_command_says_what_it_is_in_a_sentence() -> None:
    """The one-line help ``sibook --help`` and each group's help list ends with a period, as
    all but ``audit`` ("Access log") and ``access`` did."""
    root = typer.main.get_command(app)
    for path, command in _groups(root, ["sibook"]) + [
            (path, ctx.command) for path, ctx in _leaves(root, ["sibook"])]:
        said = (command.help or "").strip().split("\n\n")[0].strip()
        assert said.endswith("."), (path, said)


def test_no_option_shows_its_type_instead_of_what_it_takes() -> None:
    """Every option of every command that takes a value says what it takes (VND, N, YYYY-MM,
    YYYY-MM-DD, CODE, REALM, ...), as ``sibook rules`` does: none is left to Click's type
    (INTEGER, TEXT, FLOAT); Typer's (``--amount <int>``) no help shows at all."""
    commands = _leaves(typer.main.get_command(app), ["sibook"])
    assert len(commands) > 40
    for path, ctx in commands:
        shown = CliRunner().invoke(app, [*path.split()[1:], "--help"], terminal_width=200)
        assert shown.exit_code == 0, shown.output
        for word in ("INTEGER", "FLOAT"):
            assert word not in shown.output, (path, word)
        for param in ctx.command.params:
            if param.param_type_name != "option" or param.is_flag or param.name == "help":
                continue
            assert param.metavar, (path, param.name)
            assert param.metavar in shown.output, (path, param.name)


# What a parameter names by a code or a number, as its metavar says: a person, a unit, a
# facility and its visit, a client, a dossier or decision, a province, office, place, country.
_CODES = {"PERSONAL_ID", "ID", "CODE", "FACILITY", "LINK_CODE", "CLIENT_ID", "DOSSIER", "NO",
          "NN", "NNN", "CC"}


def test_every_code_a_command_takes_is_read_by_the_one_identifier_callback() -> None:
    """A code pasted with spaces around it is read without them by every command alike
    (``flags.identifier``): add-client's CLIENT_ID and --unit-code, benefits' dossier and
    decision numbers and visits annul's LINK_CODE were taken with their spaces."""
    read = []
    for path, ctx in _leaves(typer.main.get_command(app), ["sibook"]):
        for param in ctx.command.params:
            if param.metavar in _CODES:
                callback = getattr(param.callback, "__wrapped__", None)
                assert callback is identifier, (path, param.name)
                read.append((path, param.name))
    assert {("sibook access add-client", "unit_code"), ("sibook access unlock", "client_id"),
            ("sibook benefits decide", "dossier"), ("sibook visits annul", "link_code")} <= set(
        read)
    assert len(read) > 30


def test_a_groups_list_of_commands_says_each_ones_help_on_one_line() -> None:
    """``sibook ledger --help`` lists each command with its help's first paragraph, wrapped to
    the terminal only: Typer broke it where the docstring's lines break, so at 80 columns
    ``ledger show`` read "... unpaid; voluntary", then "months with ..." on a line alone."""
    root = typer.main.get_command(app)
    listed = 0
    for path, group in _groups(root, ["sibook"]):
        shown = CliRunner().invoke(app, [*path.split()[1:], "--help"], env={"COLUMNS": "400"})
        assert shown.exit_code == 0, shown.output
        lines = [" ".join(line.strip("│ ").split()) for line in shown.output.splitlines()]
        ctx = group.context_class(group, info_name=path.split()[-1])
        for name in list(_COMMANDS) if path == "sibook" else group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, TyperGroup) or not command.help:
                continue
            first = " ".join(command.help.partition("\f")[0].split("\n\n")[0].split())
            assert f"{name} {first}" in lines, (path, name)
            listed += 1
    assert listed > 40
