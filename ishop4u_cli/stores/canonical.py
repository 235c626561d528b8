"""w3lib's canonical URL form, without w3lib's cost for the plain URLs most pages have.

`w3lib.url.canonicalize_url` percent-encodes, lowercases the host, resolves dot
segments, sorts the query and drops the fragment: 15-30 µs a URL, a large
share of a bulk import's checks. A URL made only of unreserved characters
(letters, digits, `-._~`), with a lowercase http(s) scheme and host, a port
written without leading zeros, a path of such characters, no dot segments,
no fragment, and a query of `name=value` pairs of such characters, is
already canonical but for the order of its query. For those, `plain_parts` reads the parts and `join` sorts and writes
them; anything else goes to w3lib. tests/test_canonical.py checks, for any
URL, that the two paths agree.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN = re.compile(
    rf"(https?)://({_LABEL}(?:\.{_LABEL})*(?::([1-9][0-9]{{0,4}}))?)(/[A-Za-z0-9\-._~/]*)?(?:\?([A-Za-z0-9\-._~=&]*))?"
)
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")
_PAIR = re.compile(r"([A-Za-z0-9\-._~]+)=([A-Za-z0-9\-._~]*)")


class PlainUrl(NamedTuple):
    scheme: str
    netloc: str
    path: str
    pairs: list[tuple[str, str]]  # in the order given


def plain_parts(url: str) -> PlainUrl | None:
    """URL's parts when it is plain (see above), else None."""
    match = _PLAIN.fullmatch(url)
    if match is None:
        return None
    scheme, netloc, port, path, query = match.groups()
    if (port and int(port) > 65535) or (path and (_DOT_SEGMENT.search(path) or "//" in path)):
        return None
    pairs: list[tuple[str, str]] = []
    if query:
        for item in query.split("&"):
            pair = _PAIR.fullmatch(item)
            if pair is None:
                return None
            pairs.append((pair.group(1), pair.group(2)))
    return PlainUrl(scheme, netloc, path or "/", pairs)


def join(url: PlainUrl, pairs: list[tuple[str, str]] | None = None) -> str:
    """URL in canonical form: its query (or PAIRS instead) sorted as w3lib sorts it."""
    chosen = sorted(url.pairs if pairs is None else pairs)
    query = "&".join(f"{k}={v}" for k, v in chosen)
    return f"{url.scheme}://{url.netloc}{url.path}{'?' if query else ''}{query}"


def canonicalize(url: str) -> str:
    """`w3lib.url.canonicalize_url(url, keep_fragments=False)`, the same string, faster when URL is plain."""
    plain = plain_parts(url)
    if plain is not None:
        return join(plain)
    from w3lib.url import canonicalize_url

    return canonicalize_url(url, keep_fragments=False)
