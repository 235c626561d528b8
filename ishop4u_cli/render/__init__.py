"""The one place that prints: messages to stderr, data (text, tables, JSON) to stdout.

Rich is imported only when a table is drawn. Consoles are made per call, never
at import time, so they write to whatever sys.stdout is now (test runners
swap it). Area-specific views live in the modules beside this one.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

# Everything printed goes through printable(): no control or bidi character from a page, a
# file or the database reaches a terminal (ishop4u_cli/text.py).
from ishop4u_cli.text import BIDI_CONTROLS, printable

if TYPE_CHECKING:
    from rich.console import Console, RenderableType


def out(text: str = "") -> None:
    """A line of data on stdout."""
    sys.stdout.write(printable(text) + "\n")


def message(text: str) -> None:
    """What a command did, for people: stderr, so stdout stays data."""
    sys.stderr.write(printable(text) + "\n")
    sys.stderr.flush()


def warning(text: str) -> None:
    sys.stderr.write(f"Warning: {printable(text)}\n")
    sys.stderr.flush()


def error(text: str) -> None:
    sys.stderr.write(f"Error: {printable(text)}\n")
    sys.stderr.flush()


def plural(
    count: int, one: str, many: str | None = None, *, number: bool = True, grouped: bool = False
) -> str:
    """COUNT with ONE or MANY (default: ONE + 's'): "1 item", "2 items", "3 boxes" (many="boxes").

    number=False gives the word alone, for words that agree with a count said
    elsewhere ("is"/"are"); grouped=True writes thousands with commas (imports: "12,000 rows").
    """
    word = one if count == 1 else (many if many is not None else one + "s")
    if not number:
        return word
    return f"{count:,} {word}" if grouped else f"{count} {word}"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # money is a string in JSON: "19.99", never 19.990000001
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_doc(document: Any) -> None:
    """One JSON document on stdout (written with json.dumps, never through Rich).

    json.dumps escapes control characters; bidi characters are escaped too (`\\u202e`), which
    is the same JSON, so no document can reorder what a terminal shows.
    """
    text = json.dumps(document, default=_json_default, ensure_ascii=False, indent=2)
    sys.stdout.write(BIDI_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def console(*, stderr: bool = False) -> Console:
    """A Rich console on the current stdout (or stderr).

    Not on a terminal: no colour codes, and a width wide enough that no cell
    (a link, say) is ever cut or wrapped. Rich itself honours NO_COLOR.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(file=stream, highlight=False)
    return Console(
        file=stream,
        highlight=False,
        color_system=None,
        force_terminal=False,
        width=100_000,
        soft_wrap=True,
    )


def width() -> int:
    """How many cells a table may take on stdout: the terminal's width, or without limit when piped."""
    return console().width


def show(renderable: RenderableType) -> None:
    """Print a Rich renderable (a table) on stdout."""
    out = console()
    if not out.is_terminal:
        # Piped: Rich pads every cell to its column's width; a script reading the table gets its
        # lines without trailing blanks, written as any other output (a closed pipe: see app.py).
        with out.capture() as captured:
            out.print(renderable, crop=False)
        sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
        return
    # Rich answers a closed stdout with its own SystemExit(1); app.py handles it once for every
    # command (quietly, with the documented exit code), so hand the error on instead.
    out.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    out.print(renderable, crop=False)


def _broken_pipe() -> None:
    raise BrokenPipeError


NO_STORE = "Other shops"  # products of no known source, in every view (services.checkout.OTHER_SHOPS)


def literal(text: str | None) -> str:
    """TEXT with Rich markup escaped, so `[sale] mug` prints as `[sale] mug`."""
    from rich.markup import escape

    return escape(printable(text or ""))
