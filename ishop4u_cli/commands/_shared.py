"""Helpers every command module uses: the run's state, prompts and confirmations, the --json option."""

import sys
from collections.abc import Callable
from typing import Annotated, TypeVar

import typer

from ishop4u_cli import render
from ishop4u_cli.context import AppState
from ishop4u_cli.errors import IshopError, UsageError

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Answer yes to the confirmation.")]

T = TypeVar("T")


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


def ask(read: Callable[[], T], *, hidden: bool) -> T | None:
    """The answer READ gets from a prompt; None at end of input (Ctrl-D).

    Click's prompts turn Ctrl-C and Ctrl-D alike into Abort ("Aborted!", exit 1);
    the exception they caught is still its __context__. Ctrl-C becomes a
    KeyboardInterrupt again, which the root group reports as every other
    interruption (`Error: interrupted`, exit 130).
    """
    try:
        return read()
    except typer.Abort as exc:
        if not hidden:  # a hidden prompt ends its line itself; a visible one leaves the cursor on it
            render.message("")
        if isinstance(exc.__context__, EOFError):
            return None
        raise KeyboardInterrupt from None


def confirm(question: str, *, yes: bool) -> None:
    """Ask QUESTION unless --yes; never wait for an answer when stdin is not a terminal.

    No, Enter and end of input (Ctrl-D) all decline: Declined, exit 1, nothing changed.
    """
    if yes:
        return
    if not stdin_is_terminal():
        raise UsageError(f"{question.rstrip('?')}: confirmation needed; pass --yes to answer it")
    if not ask(lambda: typer.confirm(question, default=False, err=True), hidden=False):
        raise Declined("nothing was changed")
