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
    (locked by another writer past the wait, or unreachable) instead of a traceback."""
    try:
        app()
    except OperationalError as exc:
        reason = f"the database cannot be used now: {str(exc.orig).strip() or exc}"
        if "--json" in sys.argv:
            print_json({"errors": [{"field": "database", "reason": reason}]})
        else:
            err_console.print(reason, markup=False, highlight=False)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
