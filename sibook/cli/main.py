"""The ``sibook`` command: mounts each command group."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
import sys
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

if TYPE_CHECKING:  # annotations only: the Click that Typer 0.29+ carries inside it
    from typer import _click as click

from sibook.cli.output import (
    database_problem,
    err_console,
    json_asked,
    print_json,
    retrying_said_once,
    settings_problem,
    typed_name,
)
from sibook.core.digits import in_digits

# Typer 0.29 carries its own copy of Click; its exception classes are reached through the public
# typer.BadParameter, so this holds whichever Click is underneath.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = typer.BadParameter.__mro__[2]

# Each command's module loads when that command runs (or when help lists them all): loading
# them all costs ~0.7 s of FastAPI, SQLAlchemy, Polars and cryptography on every call, which
# `ids inspect` or `rules ...` in an employer's script never use. Click's documented pattern for
# this is a group that imports its subcommands on demand; the order here is the help's order.
_COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("sibook.cli.db", "app"),
    "ids": ("sibook.cli.ids", "app"),
    "rules": ("sibook.cli.rules", "app"),
    "persons": ("sibook.cli.persons", "persons_app"),
    "employers": ("sibook.cli.employers", "employers_app"),
    "keys": ("sibook.cli.keys", "keys_app"),
    "trust-list": ("sibook.cli.trust_list", "trust_list_app"),
    "audit": ("sibook.cli.audit", "app"),
    "access": ("sibook.cli.access", "app"),
    "book": ("sibook.cli.book", "app"),
    "payments": ("sibook.cli.contributions", "payments_app"),
    "ledger": ("sibook.cli.contributions", "ledger_app"),
    "declare": ("sibook.cli.declare", "declare"),
    "benefits": ("sibook.cli.benefits", "app"),
    "visits": ("sibook.cli.visits", "app"),
    "seed": ("sibook.cli.seed", "seed"),
    "serve": ("sibook.cli.serve", "serve"),
}


class _NamedArgument(TyperArgument):
    """An argument its name says (PERSONAL_ID, FILE, OUT.pdf), in the help's list as in the
    usage line: Typer 0.29 wrote its Python type beside it, ``PERSONAL_ID <str>``."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None


class _Flag(TyperOption):
    """A flag takes no value, so its help shows none: Typer 0.29 wrote ``--json <bool>``."""

    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None


class _Number(TyperOption):
    """An option taking a number (``int`` or ``float``). Typer 0.29 reads it as Python does,
    so ``--salary 1_5`` was 15 and ``--limit 1_0`` 10: Python's digit separator, which no
    one means in an amount or a count (a slip of ``1,5`` or ``1.5``), is a usage error."""

    def process_value(self, ctx: click.Context, value: Any) -> Any:
        try:
            in_digits(value)
        except ValueError as exc:
            raise typer.BadParameter(f"{exc}, got {str(value)[:40]!r}", ctx=ctx,
                                     param=self) from None
        return super().process_value(ctx, value)


def _said_plainly(param: Any) -> Any:
    """``param`` shown in help as what it takes, not as its type: an argument by its name, a
    flag by nothing, an option by its metavar (each command gives one: VND, YYYY-MM, CODE).
    Typer builds each parameter itself with no say in its class, so the class is changed here,
    to one that differs only in its help."""
    if type(param) is TyperArgument:
        param.__class__ = _NamedArgument
    elif type(param) is TyperOption and param.is_flag:
        param.__class__ = _Flag
    elif type(param) is TyperOption and param.type_descriptor.annotation in (int, float):
        param.__class__ = _Number
    return param


class _PlainGroup(TyperGroup):
    """A command group whose help shows its flags (``--help``, ``--install-completion``) with no
    type beside them, as ``_Readable`` shows a command's."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return [_said_plainly(param) for param in super().get_params(ctx)]


_NEGATIVE = re.compile(r"-\d")


class _Readable(TyperCommand):
    """A command whose usage line reads as the contract and the README write it: ``sibook
    declare FILE --employer CODE --month YYYY-MM [OPTIONS]``. Typer 0.29 writes a required
    argument as ``{file}`` and leaves the options it needs to ``[OPTIONS]``. Each argument is
    named by its metavar (its name in capitals unless given), here, in the help's list, in
    Click's "Missing argument" and in a refusal's ``field`` (``output.typed_name``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.short_help is None and self.help:
            # Its line in its group's list of commands: the help's first paragraph as one
            # line, as the command's own help shows it. Typer's rich mode kept the docstring's
            # line breaks there (``ledger show``'s "... unpaid; voluntary" then a line alone).
            first = inspect.cleandoc(self.help).partition("\f")[0].split("\n\n")[0]
            self.short_help = " ".join(first.split())
        for param in self.params:
            if param.param_type_name == "argument" and param.metavar is None and param.name:
                param.metavar = param.name.upper()

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        """Its parameters, the help option among them, each shown as what it takes."""
        return [_said_plainly(param) for param in super().get_params(ctx)]

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self._negatives_as_values(ctx, args))

    def _negatives_as_values(self, ctx: click.Context, args: list[str]) -> list[str]:
        """``args`` with a word such as ``-1`` read as an argument's value, as argparse reads a
        negative number: Click took it for an unknown option, so ``ids inspect -1`` was a
        usage error (exit 2) where the contract answers "not a known identifier" (exit 1).
        No command here has a short option for it to be. The options (and the values they
        take) go first, then ``--`` and the arguments in their order."""
        if "--" in args or not any(_NEGATIVE.match(arg) for arg in args):
            return args
        if not any(param.param_type_name == "argument" for param in self.params):
            return args
        takes = {name: param.nargs for param in self.params
                 if isinstance(param, TyperOption) and not (param.is_flag or param.count)
                 for name in param.opts}
        options: list[str] = []
        values: list[str] = []
        words = iter(args)
        for word in words:
            if _NEGATIVE.match(word) or not word.startswith("-") or word == "-":
                values.append(word)
                continue
            options.append(word)
            if "=" not in word:
                options.extend(next(words, "") for _ in range(takes.get(word, 0)))
        return [*options, "--", *values]

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces: list[str] = []
        optional = False
        for param in self.get_params(ctx):
            name = typed_name(param) or param.opts[0]
            if param.param_type_name == "argument":
                name += "..." if param.nargs != 1 else ""
                pieces.append(name if param.required else f"[{name}]")
            elif param.required:
                pieces.append(f"{name} {param.metavar or str(param.name).upper()}")
            else:
                optional = True
        return pieces + (["[OPTIONS]"] if optional else [])

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The usage line as one line however long, as every message here: Click broke it at
        80 columns, on a hyphen too (``--birth-date YYYY-`` then ``MM-DD``)."""
        pieces = " ".join(self.collect_usage_pieces(ctx))
        formatter.write(f"{'':>{formatter.current_indent}}Usage: {ctx.command_path} {pieces}\n")


def _load(name: str) -> click.Command:
    """The Click command for ``name``, built exactly as ``add_typer``/``command`` would, each
    command with a readable usage line (``_Readable``)."""
    module, attr = _COMMANDS[name]
    target = getattr(importlib.import_module(module), attr)
    holder = typer.Typer(add_completion=False)
    holder.callback()(_no_options)  # a holder with a callback is a group, whatever it holds
    if isinstance(target, typer.Typer):
        for command in target.registered_commands:  # Typer's default class, or none
            if command.cls in (None, TyperCommand):
                command.cls = _Readable
        holder.add_typer(target, name=name, cls=_PlainGroup)
    else:
        holder.command(name, cls=_Readable)(target)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return group.commands[name]


def _no_options() -> None:
    pass


class _OnDemand(_PlainGroup):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            self.commands[cmd_name] = _load(cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    name="sibook",
    cls=_OnDemand,
    help="Electronic Social Insurance Book and the National Database on Insurance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.callback()(_no_options)  # the commands come from _OnDemand, so the callback makes a group


def main() -> None:
    """The console entry point: the app, and a plain answer when the database cannot be used
    (locked by another writer past the wait, or unreachable) instead of a traceback.

    A usage error (exit 2) keeps Click's message on stderr; with ``--json`` anywhere on the
    line it also prints the contract's one JSON object on stdout, so a script that always
    parses stdout gets the reason and never an empty read."""
    sys.stdout = watched = _WatchedStdout(sys.stdout)
    try:
        # A command whose transaction was a deadlock's victim runs again (sibook.core.retry).
        code = retrying_said_once(lambda: app(standalone_mode=False))  # typer.Exit(n): n
    except _UsageError as exc:
        _show(exc)
        if json_asked():
            print_json({"errors": [{"field": _flag_of(exc), "reason": _message(exc)}]})
        raise SystemExit(2) from None
    except _ClickException as exc:
        _show(exc)
        raise SystemExit(getattr(exc, "exit_code", 1)) from None
    except typer.Abort:
        err_console.print("Aborted.", markup=False, highlight=False)
        raise SystemExit(1) from None
    except UnicodeEncodeError as exc:
        # A byte of an argument that is not UTF-8 reaches the command as a lone surrogate;
        # the database or a signed file cannot take it. A value of the wrong form: exit 2.
        if not _argument_not_utf8(exc):
            raise
        reason = ("an argument is not UTF-8 text (it holds a byte such as 0xff that is no "
                  "character): write it in UTF-8")
        err_console.print(f"Error: {reason}", markup=False, highlight=False)
        if json_asked():
            print_json({"errors": [{"field": "usage", "reason": reason}]})
        raise SystemExit(2) from None
    except OSError as exc:
        if not watched.failed:
            raise
        _stdout_lost()
        # Where the answer goes cannot take it (a full disk, a reader that went away): said
        # in plain words on stderr, as a file a command names that cannot be written is.
        if not isinstance(exc, BrokenPipeError):  # the reader left: it wants nothing more
            err_console.print(f"error: cannot write the answer on standard output: "
                              f"{exc.strerror or exc}", markup=False, highlight=False)
        raise SystemExit(1) from None
    except Exception as exc:  # a command without contract keys for its refusal (refused_with)
        problem = database_problem(exc) or settings_problem(exc)
        if problem is None:
            raise
        if json_asked():
            print_json({"errors": [problem.as_dict()]})
        else:
            err_console.print(problem.reason, markup=False, highlight=False)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


class _WatchedStdout:
    """``sys.stdout``, noting whether writing to it failed: a full disk, or a reader that went
    away (``sibook ... | head``). Every other attribute is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.failed = False

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError:
            self.failed = True
            raise

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError:
            self.failed = True
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdout_lost() -> None:
    """Point the failed standard output at the null device, so Python's own flush at exit of
    what it still holds adds no second traceback."""
    # Closed, or not a file (OSError, ValueError, AttributeError): nothing to point.
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _argument_not_utf8(exc: UnicodeEncodeError) -> bool:
    """The text that could not be encoded holds a surrogate one of the arguments brought."""
    surrogates = {ch for arg in sys.argv[1:] for ch in arg if "\ud800" <= ch <= "\udfff"}
    text = exc.object if isinstance(exc.object, str) else ""
    return bool(surrogates) and any(ch in surrogates for ch in text[exc.start:exc.end])


def _show(exc: Exception) -> None:
    exc.show()  # type: ignore[attr-defined]  # Click's usage text and message, on stderr


def _message(exc: Exception) -> str:
    return str(exc.format_message())  # type: ignore[attr-defined]


def _flag_of(exc: Exception) -> str:
    """The flag or argument a usage error is about (``--month``, ``VALUE``), else "usage"."""
    param = getattr(exc, "param", None)
    if param is not None:
        return typed_name(param) or str(param.name).upper()
    if type(exc).__name__ == "BadOptionUsage":  # a flag of the command, misused: '--month'
        return str(exc.option_name)  # type: ignore[attr-defined]  # given no value, or --json=x
    hint = getattr(exc, "param_hint", None)
    return hint if isinstance(hint, str) else "usage"


if __name__ == "__main__":
    main()
