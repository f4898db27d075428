"""How every command answers: one JSON object with ``--json``, readable text otherwise.

Exit codes follow the public contract: 0 success/valid, 1 well-formed but invalid or refused,
2 usage error (Typer's own code for bad flags).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sibook.core.errors import NamedError, Problem, ValidationError
from sibook.core.retry import retrying

# soft_wrap: a message is one line however long (a path, a personal ID, a reason), as a script
# reading the output expects; Rich would otherwise break it at 80 columns when not on a terminal.
# Tables still fit the width. markup=False: what is printed quotes references, names, codes
# and reasons as typed or stored, and Rich would read their brackets as markup (a payment's
# reference "[/]" raised a MarkupError after the payment was posted); a styled word asks for
# markup where it is printed.
console = Console(soft_wrap=True, markup=False)
err_console = Console(stderr=True, soft_wrap=True, markup=False)


def progress_hidden(as_json: bool) -> bool:
    """Whether a progress bar stays hidden: it is for a person at a terminal, drawn on stderr
    (``err_console``); with --json or off a terminal (a script, a cron log) Rich would leave a
    blank line or the bar's last frame on stdout, before the answer a script reads."""
    return as_json or not err_console.is_terminal


JsonFlag = typer.Option(False, "--json", help="Print one JSON object on stdout and nothing else.")
LimitOpt = typer.Option(100, "--limit", metavar="N", min=1, max=1_000_000,
                        help="At most this many rows.")

# The keys the running command's refusal carries (``refused_with``).
_REFUSAL: ContextVar[Mapping[str, Any] | None] = ContextVar("refusal", default=None)
P = ParamSpec("P")
R = TypeVar("R")


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
    reasons: Sequence[Problem],
    as_json: bool,
    extra: dict[str, Any] | None = None,
    *,
    aliases: Mapping[str, str] | None = None,
) -> NoReturn:
    """Refuse well-formed but invalid input: exit 1, with the reasons on stderr or in the JSON.
    Each names what the user can change: a reason about one of the command's parameters names
    it as typed (``as_typed``), any other an environment variable (``SIBOOK_KEYS_DIR``) or the
    thing refused; never a catch-all."""
    problems = as_typed(reasons, aliases)
    if as_json:
        print_json({**(_REFUSAL.get() or {}), **(extra or {}),
                    "errors": [p.as_dict() for p in problems]})
    else:
        for p in problems:
            # A reason may quote what was typed ('[/]' as a birth place): text, not markup.
            err_console.print(f"[red]error:[/red] {escape(str(p))}", markup=True,
                              highlight=False)
    raise typer.Exit(1)


def os_reason(exc: OSError) -> str:
    """An operating system's refusal in words, naming the file: ``a.pdf: No such file or
    directory``, not Python's ``[Errno 2] No such file or directory: 'a.pdf'``."""
    if exc.filename is None or not exc.strerror:
        return str(exc)
    return f"{exc.filename}: {exc.strerror}"


def reasons_of(exc: Exception, field: str) -> list[Problem]:
    """What ``refuse`` says of a service's refusal: a ValidationError's problems, each by its
    field (an option's by its flag), as every command names them; a 404 or 409 by the field it
    names (``version``: ``--version``, as typed), as the API's answer names it; any other
    error's words named ``field``, what the user can change to get past it (``personal_id``:
    the person's argument, as typed)."""
    if isinstance(exc, ValidationError) and exc.problems:
        return list(exc.problems)
    named = exc.field if isinstance(exc, NamedError) else None
    return [Problem(field=named or field, reason=str(exc))]


def refused_with(**keys: Any) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A command whose contract answer has ``keys`` when it is refused (``accepted: false``):
    every refusal of it carries them, its own checks' and a database that cannot be used now
    (busy past the wait, unreachable, a deadlock that running it again a few times did not
    get past), so a script reading the answer's keys reads them in every answer."""
    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(command)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            token = _REFUSAL.set(keys)
            try:
                return retrying_said_once(lambda: command(*args, **kwargs))
            except Exception as exc:
                problem = database_problem(exc) or settings_problem(exc)
                if problem is None:
                    raise
                refuse([problem], bool(kwargs.get("as_json")))
            finally:
                _REFUSAL.reset(token)
        return run
    return decorate


def json_asked() -> bool:
    """``--json`` is on the command line, also as ``--json=VALUE`` (Click refuses the value, a
    usage error a script asking for JSON still reads as one JSON object on stdout)."""
    return any(arg == "--json" or arg.startswith("--json=") for arg in sys.argv[1:])


def retrying_said_once(work: Callable[[], R]) -> R:
    """``retrying(work)`` (a command whose transaction was a deadlock's victim runs again).
    With ``--json`` what each attempt prints on stdout is held until it ends, and an attempt
    given up for another has said nothing: a script reads one JSON object, the last attempt's.
    Without it stdout stays live, as a progress bar (and ``serve``) need a terminal to draw in."""
    if not json_asked():
        return retrying(work)
    shown = sys.stdout
    held = io.StringIO()

    def attempt() -> R:
        with contextlib.redirect_stdout(held):
            return work()

    def forget() -> None:
        held.seek(0)
        held.truncate()

    try:
        return retrying(attempt, before_again=forget)
    finally:
        shown.write(held.getvalue())
        shown.flush()


class DatabaseUrlError(Exception):
    """``SIBOOK_DATABASE_URL`` names no database sibook can open: not a URL, one of a kind no
    installed driver reads (``bogus://``), a file that is not a database, or a database at a
    revision no migration of this sibook has."""


def database_problem(exc: Exception) -> Problem | None:
    """The problem of a database that cannot be used now (locked by another writer past the
    wait, unreachable, a deadlock, a URL that names none), or None for any other error.
    SQLAlchemy is looked up, not imported: a command that never loaded it (``ids``, ``rules``)
    cannot have raised its errors."""
    if isinstance(exc, DatabaseUrlError):
        return Problem(field="database", reason=str(exc))
    errors = sys.modules.get("sqlalchemy.exc")
    if errors is None or not isinstance(exc, errors.OperationalError):
        return None
    reason = str(getattr(exc, "orig", exc)).strip() or str(exc)
    # PostgreSQL's CONTEXT line says where the server was (``while locking tuple (0,1) in
    # relation "employers"``): the server's log has it; the user's answer is what to do.
    reason = "\n".join(line for line in reason.splitlines()
                       if not line.startswith("CONTEXT:")).strip()
    if missing := _NO_SUCH_DATABASE.search(reason):  # not a passing state: the URL's to mend
        return Problem(field="database", reason=(
            f"SIBOOK_DATABASE_URL names the database {missing[1]}, which its server does not "
            f"have: create it (createdb {missing[1]}) and run the command again; sibook makes "
            "its tables on first use"))
    return Problem(field="database", reason=f"the database cannot be used now: {reason}")


# PostgreSQL's refusal of a connection to a database it does not have (its messages in
# English, the server's default; in another language the words above are said instead).
_NO_SUCH_DATABASE = re.compile(r'database "([^"]+)" does not exist')


# The classes that read ``SIBOOK_...`` variables (sibook.core.config, sibook.access.settings),
# as pydantic titles the error of each: ``serve`` reads the access part's too.
_SETTINGS = ("Settings", "AccessSettings")
_NOT_JSON = re.compile(r'error parsing value for field "(\w+)" from source "EnvSettingsSource"')


def settings_problem(exc: Exception) -> Problem | None:
    """The problem of a ``SIBOOK_...`` variable the settings cannot read (``SIBOOK_LOCK_WAIT_
    SECONDS=abc``, ``SIBOOK_DEV_IDP=maybe``), named as it was set; None for any other error."""
    if type(exc).__name__ == "SettingsError" and (unparsed := _NOT_JSON.match(str(exc))):
        # pydantic-settings reads a list setting (SIBOOK_OIDC_LEVEL2_ACR) as JSON first.
        name = "SIBOOK_" + unparsed[1].upper()
        return Problem(field=name, reason=f"{name} cannot be read: a list is written as JSON, "
                                          'e.g. ["2"]')
    errors = getattr(exc, "errors", None)
    if getattr(exc, "title", None) not in _SETTINGS or not callable(errors):
        return None
    first = errors()[0]
    name = "SIBOOK_" + "_".join(str(part) for part in first["loc"]).upper()
    message = first["msg"].removeprefix("Value error, ")  # a validator's own words, as said
    return Problem(field=name, reason=f"{name} cannot be read: {message}, got {first['input']!r}")


def as_typed(problems: Iterable[Problem], aliases: Mapping[str, str] | None = None
             ) -> list[Problem]:
    """``problems`` named as the command line names them. A service names what it refused by
    its own field (``paid_on``, ``personal_id``), the API's body key; the user of a command
    typed a flag (``--date``) or an argument its usage line names (``PERSONAL_ID``). A problem
    about the running command's parameter of that name (or of the name ``aliases`` gives the
    field: ``{"received_on": "received"}``) is named as typed (``typed_name``); a file's row
    and any other field keep their names."""
    names = _typed_names_of_running_command()
    typed = []
    for p in problems:
        name = None if p.row is not None else names.get((aliases or {}).get(p.field, p.field))
        typed.append(p if name is None else Problem(field=name, reason=p.reason))
    return typed


def typed_name(param: Any) -> str | None:
    """How the command line names one of a command's parameters: an option by its long flag
    (``--month``), an argument by its metavar (``PERSONAL_ID``, ``FILE``: its name in capitals
    unless the command gives another), as its usage line and Click's own errors name it."""
    if param.param_type_name == "argument":
        return str(param.metavar or str(param.name).upper())
    long = [o for o in param.opts if o.startswith("--")]
    return long[0] if long else None


def _typed_names_of_running_command() -> dict[str, str]:
    """Parameter name -> its ``typed_name``, for the parameters of the command running (none
    outside one). Typer 0.29+ carries its own copy of Click: the one whose Context typer's
    extends."""
    click_context = typer.Context.__mro__[1]
    click_globals = importlib.import_module(click_context.__module__.rpartition(".")[0]
                                            + ".globals")
    ctx = click_globals.get_current_context(silent=True)
    if ctx is None:
        return {}
    names: dict[str, str] = {}
    for param in ctx.command.params:
        if param.name and (name := typed_name(param)):
            names[param.name] = name
    return names


def usage_error(flag: str, message: str) -> NoReturn:
    """A bad flag value that Typer could not catch by type: exit 2 like any usage error (the
    entry point prints it, and with ``--json`` also as JSON naming ``flag``)."""
    raise typer.BadParameter(message, param_hint=flag)


def missing_flag(flag: str, message: str) -> NoReturn:
    """A flag this use of the command needs but was not given (``--region`` for an employee's
    dues): exit 2 as Click's own "Missing option", which ``main`` names by ``flag``."""
    missing = sys.modules[typer.BadParameter.__module__].MissingParameter
    raise missing(message, param_hint=flag, param_type="option")


def show_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]], *,
               on: Console = console, style: str | None = None) -> None:
    """A titled table; ``None`` cells print empty, numbers with thousands separators. A value
    wider than its column (a table of many columns in 80, a pipe's width) folds onto the next
    line, never cut to an ellipsis: an amount shown as ``237,…`` would be lost."""
    table = Table(title=title, title_style=style)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(v) for v in row))
    on.print(table)


def show_listing(rows: list[dict[str, Any]], title: str) -> None:
    """A listing's rows (dicts of one shape) as a titled table, or "no persons" when empty."""
    if not rows:
        console.print(f"no {title.lower()}")
        return
    show_table(title, list(rows[0]), (list(row.values()) for row in rows))


def show_fields(title: str, fields: Mapping[str, object]) -> None:
    """A titled table of names and values (totals, a summary): one row each."""
    table = Table(title=title, show_header=False)
    for name, value in fields.items():
        table.add_row(name.replace("_", " "), _cell(value))
    console.print(table)


def _cell(value: object) -> Text:
    """A cell as text, never Rich markup: a name or code may hold brackets ("Nguyễn [/]")."""
    if value is None:
        return Text("")
    if isinstance(value, int) and not isinstance(value, bool):
        return Text(f"{value:,}")
    return Text(str(value))

