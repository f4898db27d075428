"""The Typer command line: one module per command group, each thin over a service."""
