"""Placeholder: filled in by the signing work."""

import typer

keys_app = typer.Typer(help="Signing keys", no_args_is_help=True)
trust_list_app = typer.Typer(help="Trust list", no_args_is_help=True)
