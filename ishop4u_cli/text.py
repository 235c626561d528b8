"""Text cleaning for values people type or pages carry: names, notes, emails.

A lower module (standard library only): services and stores may use it, and
importing it costs nothing at start-up.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode category Cc is exactly C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def without_controls(text: str, *, keep_newlines: bool = False) -> str:
    """TEXT with each control character (Cc) made a space.

    An escape sequence in a name must not reach a terminal. KEEP_NEWLINES
    keeps line feeds and tabs, for notes that span lines.
    """
    return (_CONTROLS_BUT_NEWLINES if keep_newlines else _CONTROLS).sub(" ", text)


def one_line(text: str) -> str:
    """TEXT on one line: control characters gone, runs of whitespace made one space."""
    return " ".join(without_controls(text).split())


def has_unprintable(text: str) -> bool:
    """True when TEXT holds any character of Unicode's "Other" categories.

    Stricter than `without_controls`: besides controls (Cc) it counts format
    characters such as zero-width joiners and bidi overrides (Cf), surrogates,
    private-use and unassigned code points. Used where a value is refused
    rather than cleaned (account names and emails must look like what they are).
    """
    return any(unicodedata.category(ch).startswith("C") for ch in text)
