"""`ishop4u user`: Accounts and sign-in: every cart belongs to the signed-in user."""

from __future__ import annotations

import typer

app = typer.Typer(help="Accounts and sign-in: every cart belongs to the signed-in user.", no_args_is_help=True)
