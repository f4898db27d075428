"""Placeholder: filled in by the ids work."""

import typer

app = typer.Typer(help="ids", no_args_is_help=True)
