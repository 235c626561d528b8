"""`ishop4u product`: Products: their pages, prices and affiliate links."""

from __future__ import annotations

import typer

app = typer.Typer(help="Products: their pages, prices and affiliate links.", no_args_is_help=True)
