"""`ishop4u cart`: Your cart across every store."""

from __future__ import annotations

import typer

app = typer.Typer(help="Your cart across every store.", no_args_is_help=True)
