"""Placeholder: filled in by the rules work."""

import typer

app = typer.Typer(help="rules", no_args_is_help=True)
