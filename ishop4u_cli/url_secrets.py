"""Database URLs shown to people without their secrets (standard library only).

A password can sit in a URL's user information (`user:secret@host`) or in its query
(`?password=secret`, libpq's `sslpassword=`); both are shown as `***`. A password with an
unencoded `@` splits the URL at the wrong place (`user:p@ss@host` reads as host `ss@host`), so
then everything before the last `@` is hidden, and errors say how to write it.
"""

from __future__ import annotations

import re

HIDDEN = "***"
# A query parameter whose name says it holds a password, and its value.
_QUERY_SECRET = re.compile(r"([?&][^=&#]*pass(?:word)?[^=&#]*=)[^&#]*", re.IGNORECASE)


def _split(url: str) -> tuple[str, str, str] | None:
    """(scheme://, user information and host, the rest), or None without a scheme."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    # The host part ends at the first / ? or #, but a password with an unencoded @ may hold a
    # / too: then it ends at the first / after the last @ (an @ in the query is the query's).
    last_at = rest.rfind("@")
    if last_at >= end and "?" not in rest[:last_at]:
        end = min(
            (i for i in (rest.find("/", last_at), rest.find("?", last_at)) if i >= 0), default=len(rest)
        )
    return scheme + sep, rest[:end], rest[end:]


def mask(url: str) -> str:
    """URL with its password (in the user information or the query) shown as ***."""
    parts = _split(url)
    if parts is None:
        return _QUERY_SECRET.sub(rf"\g<1>{HIDDEN}", url)
    head, netloc, rest = parts
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        if "@" in userinfo:  # an unencoded @ in the password: where the user name ends is unsure
            netloc = f"{HIDDEN}@{host}"
        elif ":" in userinfo:
            netloc = f"{userinfo.split(':', 1)[0]}:{HIDDEN}@{host}"
    return head + netloc + _QUERY_SECRET.sub(rf"\g<1>{HIDDEN}", rest)


def at_sign_hint(url: str) -> str:
    """'' or, when an unencoded @ split URL, a sentence saying how to write the password."""
    parts = _split(url)
    if parts is None or parts[1].count("@") < 2:
        return ""
    return (
        " (the URL has more than one '@' before its host: an '@' in the password splits it;"
        " write it as %40, as in user:p%40ss@host)"
    )
