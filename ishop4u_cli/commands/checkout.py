"""`ishop4u checkout`: store by store, the links to buy your cart with."""

from __future__ import annotations

import typer

app = typer.Typer(help="Store by store, the links to buy your cart with.")
