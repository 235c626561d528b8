"""Helpers every command module uses: the run's state, confirmations, the --json option."""

import sys
from typing import Annotated

import typer

from ishop4u_cli.context import AppState
from ishop4u_cli.errors import IshopError, UsageError

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to the confirmation.")]


class Declined(IshopError):
    """The user answered no: nothing was changed (exit 1)."""


def state(ctx: typer.Context) -> AppState:
    """The run's shared state, set by the root callback."""
    obj = ctx.find_root().obj
    if not isinstance(obj, AppState):  # a sub-app invoked on its own (tests)
        obj = AppState()
        ctx.find_root().obj = obj
    return obj


def stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def confirm(question: str, *, yes: bool) -> None:
    """Ask QUESTION unless --yes; never wait for an answer when stdin is not a terminal."""
    if yes:
        return
    if not stdin_is_terminal():
        raise UsageError(f"{question.rstrip('?')}: confirmation needed; pass --yes to answer it")
    if not typer.confirm(question, default=False, err=True):
        raise Declined("nothing was changed")
