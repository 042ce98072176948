"""Typer command line: thin commands over the services, one module per capability."""
