"""Text cleaning for values people type or pages carry: names, notes, emails, URLs; and for
whatever reaches a terminal.

A lower module (standard library only): services and stores may use it, and
importing it costs nothing at start-up.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode category Cc is exactly C0 (U+0000-U+001F), DEL and C1 (U+007F-U+009F).
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_NEWLINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional formatting characters (U+202E RIGHT-TO-LEFT OVERRIDE and its kin): they make a
# terminal show text in another order than it is, so `gpj.exe` reads as `exe.jpg`.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
BIDI_CONTROLS = re.compile(f"[{_BIDI}]")
# What may not reach a terminal: controls (ESC starts escape sequences, BEL ends OSC ones, CR
# overwrites a line) but line feed and tab, and the bidi characters.
_UNPRINTABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# What a stored URL may not hold as it is: controls (tab and newline too), bidi and other
# invisible formatting characters, line and paragraph separators.
_URL_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)


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


def printable(text: str) -> str:
    """TEXT safe to print on a terminal: controls (but line feeds and tabs) and bidi
    characters removed, so nothing a page or a file put in it can move the cursor,
    retitle the window, make a hyperlink or reorder what is shown."""
    return _UNPRINTABLE.sub("", text) if _UNPRINTABLE.search(text) else text


def url_without_controls(url: str) -> str:
    """URL with each control, bidi or invisible formatting character percent-encoded (UTF-8).

    Such characters have no place in an address; encoded, the URL still names what it
    named for a browser and can no longer carry an escape sequence to a terminal.
    """
    if not _URL_UNSAFE.search(url):
        return url
    from urllib.parse import quote

    return _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)
