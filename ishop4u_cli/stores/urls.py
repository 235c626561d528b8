"""URL helpers the store modules share: a URL parsed once, hosts, link templates.

The work is done by urllib.parse and w3lib; these functions only say which
parts to keep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urlparse, urlsplit, urlunsplit

from ishop4u_cli.errors import UsageError

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_FIELDS = ("url", "tracking_id")


class Url(NamedTuple):
    """A URL split once, so that every store check reads the same parts without parsing again."""

    text: str
    scheme: str  # lowercased by urllib
    netloc: str
    hostname: str  # urllib's hostname, lowercased ('' when there is none)
    host: str  # the hostname without a trailing dot: what host tables are matched against
    path: str  # urlparse's path: the last segment's `;params` cut off, as the stores always read it
    query: str

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The query's name/value pairs, blank values kept."""
        return _query_pairs(self.query)

    def param(self, name: str) -> str | None:
        """The first non-empty value of query parameter NAME (names compared case-insensitively)."""
        name = name.lower()
        for key, value in self.pairs:
            if key.lower() == name and value.strip():
                return value
        return None

    def has_any_param(self, names: frozenset[str]) -> bool:
        """True when a parameter named in NAMES (lowercase names) has a non-empty value."""
        return any(key.lower() in names and value.strip() for key, value in self.pairs)

    def keep_params(self, allowed: Iterable[str]) -> list[tuple[str, str]]:
        """The query pairs whose names are in ALLOWED (an allowlist), in name order."""
        allowed = set(allowed)
        return sorted((k, v) for k, v in self.pairs if k in allowed and v)


@functools.lru_cache(maxsize=1024)
def _query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    # Parsed on first use (most URLs are read for their host and path only), then shared.
    return tuple(parse_qsl(query, keep_blank_values=True)) if query else ()


@functools.lru_cache(maxsize=1024)
def parse(url: str) -> Url:
    """URL split into the parts the stores read; ValueError when urllib cannot split it.

    Cached: while one product is added (or one import row checked) the same URL
    is read by the URL check, the registry, the store and the affiliate check.
    """
    simple = _SIMPLE.fullmatch(url)
    if simple is not None:  # most URLs: the parts urlsplit would give, read by one regex
        scheme, netloc, path, query = simple.groups(default="")
        scheme, hostname = scheme.lower(), netloc.partition(":")[0].lower()
    else:
        parts = urlsplit(url)
        scheme, netloc, path, query = parts.scheme, parts.netloc, parts.path, parts.query
        # The host as check_url reads it: of the stripped URL (urllib keeps trailing spaces in a netloc).
        stripped = url.strip()
        hostname = (urlsplit(stripped) if len(stripped) != len(url) else parts).hostname or ""
    if ";" in path:  # rare: let urllib say which `;params` urlparse cuts off
        path = urlparse(url).path
    return Url(url, scheme, netloc, hostname, hostname.rstrip("."), path, query)


# A URL that urlsplit splits without surprises: printable ASCII only (nothing to strip or drop),
# a scheme, `//`, a host of letters, digits, dots and hyphens with maybe a port, and a path that
# starts with `/`. tests/test_canonical.py checks that parse reads such URLs as urlsplit does.
_SIMPLE = re.compile(
    r"(?=[!-~]*\Z)([A-Za-z][A-Za-z0-9+.-]*)://([A-Za-z0-9.-]*(?::[0-9]*)?)(/[^?#]*)?(?:\?([^#]*))?(?:#.*)?"
)


def host_of(url: str) -> str:
    """The URL's host, lowercased, without a trailing dot ('' when there is none or it cannot be read)."""
    try:
        return parse(url).host
    except ValueError:
        return ""


def without_userinfo(url: str) -> str:
    """URL with any `user:password@` before its host cut out, for messages."""
    return _USERINFO.sub(r"\1", url)


_USERINFO = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9+.-]*:/*)[^/?#]*@")


def match_domain(host: str, domains: Iterable[str]) -> str | None:
    """The domain in DOMAINS that HOST is or is under (amazon.co.uk for smile.amazon.co.uk).

    Whole labels only: notamazon.com and amazon.com.evil.io match nothing.
    """
    best = None
    for domain in domains:
        if (host == domain or host.endswith("." + domain)) and (best is None or len(domain) > len(best)):
            best = domain
    return best


def subdomain(host: str, domain: str) -> str:
    """The labels before DOMAIN ('smile' for smile.amazon.com, '' for amazon.com)."""
    return host[: -len(domain)].rstrip(".") if host != domain else ""


def build(host: str, path: str, query: list[tuple[str, str]] | None = None, scheme: str = "https") -> str:
    """A URL from parts, the query encoded by urlencode (no fragment)."""
    return urlunsplit((scheme, host, path, urlencode(query or []), ""))


def page(host: str, path: str, query: list[tuple[str, str]] | None = None) -> str:
    """An https URL for a page that is not a product (a search, a short link): the path as
    given, percent-encoded the one canonical way (w3lib's, skipped where it changes nothing)."""
    from ishop4u_cli.stores.canonical import canonicalize

    return canonicalize(build(host, path or "/", query))


def canonical(url: str) -> str:
    """URL in w3lib's canonical form (encoding, query order, no fragment); as given if unreadable."""
    from w3lib.url import canonicalize_url

    try:
        return canonicalize_url(url.strip(), keep_fragments=False)
    except ValueError:
        return url


@functools.lru_cache(maxsize=64)  # a handful of sources' templates, checked for every link built
def check_link_template(template: str) -> str:
    """TEMPLATE stripped if it is a usable link template; a UsageError naming it otherwise.

    A template is an http(s) URL with a `{url}` placeholder (filled with the
    percent-encoded product URL) and optionally `{tracking_id}`.
    """
    template = template.strip()
    fields = _PLACEHOLDER.findall(template)
    unknown = sorted(set(fields) - set(TEMPLATE_FIELDS))
    if unknown:
        raise UsageError(
            f"unknown placeholder {{{unknown[0]}}} in link template {template!r}: use {{url}} and {{tracking_id}}"
        )
    if "url" not in fields:
        raise UsageError(f"link template {template!r} has no {{url}} placeholder for the product URL")
    sample = _substitute(template, url="x", tracking_id="x")
    parts = urlsplit(sample)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(f"link template {template!r} is not an http or https URL")
    return template


def _substitute(template: str, *, url: str, tracking_id: str) -> str:
    values = {"url": url, "tracking_id": tracking_id}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def fill_template(template: str, *, url: str, tracking_id: str | None) -> str | None:
    """TEMPLATE with the product URL and tracking id percent-encoded into it; None when the
    template needs a tracking id and there is none, or is not a usable template."""
    try:
        template = check_link_template(template)
    except UsageError:
        return None
    if "{tracking_id}" in template and not tracking_id:
        return None
    return _substitute(template, url=quote(url, safe=""), tracking_id=quote(tracking_id or "", safe=""))


def made_from_template(url: str, template: str | None, tracking_id: str | None) -> bool:
    """True when URL was built from TEMPLATE (same host and path), so building it again would
    wrap a link in itself."""
    if not template:
        return False
    filled = fill_template(template, url="x", tracking_id=(tracking_id or "").strip() or "x")
    if filled is None:
        return False
    a, b = urlsplit(filled), urlsplit(url)
    if (a.hostname, a.path.rstrip("/")) != (b.hostname, b.path.rstrip("/")):
        return False
    given = {k for k, _ in parse_qsl(b.query, keep_blank_values=True)}
    return all(k in given for k, _ in parse_qsl(a.query, keep_blank_values=True))
