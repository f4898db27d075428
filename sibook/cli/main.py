"""The ``sibook`` command: mounts each command group."""

from __future__ import annotations

import sys

import typer
from sqlalchemy.exc import OperationalError

from sibook.cli import (
    access,
    audit,
    book,
    contributions,
    db,
    ids,
    keys,
    registry,
    rules,
    seed,
    serve,
)
from sibook.cli.output import err_console, print_json

# Typer 0.29 carries its own copy of Click; its exception classes are reached through the public
# typer.BadParameter, so this holds whichever Click is underneath.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = typer.BadParameter.__mro__[2]

app = typer.Typer(
    name="sibook",
    help="Electronic Social Insurance Book and the National Database on Insurance.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(ids.app, name="ids")
app.add_typer(rules.app, name="rules")
app.add_typer(registry.persons_app, name="persons")
app.add_typer(registry.employers_app, name="employers")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(keys.trust_list_app, name="trust-list")
app.add_typer(audit.app, name="audit")
app.add_typer(access.app, name="access")
app.add_typer(book.app, name="book")
app.add_typer(contributions.payments_app, name="payments")
app.add_typer(contributions.ledger_app, name="ledger")
app.command("declare")(contributions.declare)
app.command("seed")(seed.seed)
app.command("serve")(serve.serve)



def main() -> None:
    """The console entry point: the app, and a plain answer when the database cannot be used
    (locked by another writer past the wait, or unreachable) instead of a traceback.

    A usage error (exit 2) keeps Click's message on stderr; with ``--json`` anywhere on the
    line it also prints the contract's one JSON object on stdout, so a script that always
    parses stdout gets the reason and never an empty read."""
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(n) comes back as n
    except _UsageError as exc:
        _show(exc)
        if "--json" in sys.argv:
            print_json({"errors": [{"field": _flag_of(exc), "reason": _message(exc)}]})
        raise SystemExit(2) from None
    except _ClickException as exc:
        _show(exc)
        raise SystemExit(getattr(exc, "exit_code", 1)) from None
    except typer.Abort:
        err_console.print("Aborted.", markup=False, highlight=False)
        raise SystemExit(1) from None
    except OperationalError as exc:
        reason = f"the database cannot be used now: {str(exc.orig).strip() or exc}"
        if "--json" in sys.argv:
            print_json({"errors": [{"field": "database", "reason": reason}]})
        else:
            err_console.print(reason, markup=False, highlight=False)
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _show(exc: Exception) -> None:
    exc.show()  # type: ignore[attr-defined]  # Click's usage text and message, on stderr


def _message(exc: Exception) -> str:
    return str(exc.format_message())  # type: ignore[attr-defined]


def _flag_of(exc: Exception) -> str:
    """The flag or argument a usage error is about (``--month``, ``VALUE``), else "usage"."""
    param = getattr(exc, "param", None)
    if param is not None:
        opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
        return opts[0] if opts else str(param.name).upper()
    hint = getattr(exc, "param_hint", None)
    return hint if isinstance(hint, str) else "usage"


if __name__ == "__main__":
    main()
