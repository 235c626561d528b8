"""`ishop4u source`: Affiliate sources (stores) and your tracking ids."""

from __future__ import annotations

import typer

app = typer.Typer(help="Affiliate sources (stores) and your tracking ids.", no_args_is_help=True)
