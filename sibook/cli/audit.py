"""Placeholder: filled in by the access work."""

import typer

app = typer.Typer(help="Access log", no_args_is_help=True)
