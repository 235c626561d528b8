"""URL helpers the store modules share: hosts, query allowlists, link templates.

The work is done by urllib.parse and w3lib; these functions only say which
parts to keep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlparse, urlsplit, urlunsplit

from ishop4u_cli.errors import UsageError

# Parameters that only say where a click came from, on any site. Unknown shops
# get a blocklist because nothing tells us which of their parameters identify
# the product (a Shopify `variant`, a `sku`, a `color`...): only these go.
TRACKING_PARAMS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "gad_source",
        "gad_campaignid",
        "fbclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "srsltid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "epik",
        "spm",
        "scm",
        # clicks landed from affiliate networks (the link itself is kept when given)
        "irclickid",
        "irgwc",
        "cjevent",
        "awc",
        "sscid",
        "ranmid",
        "raneaid",
        "ransiteid",
        # Shopify's search and recommendation tracking
        "_pos",
        "_sid",
        "_ss",
        "_psq",
        "pr_prod_strat",
        "pr_rec_id",
        "pr_rec_pid",
        "pr_ref_pid",
        "pr_seq",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "matomo_", "pf_rd_", "pd_rd_", "_trk", "algo_")

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
TEMPLATE_FIELDS = ("url", "tracking_id")


@functools.lru_cache(maxsize=256)
def host_of(url: str) -> str:
    """The URL's host, lowercased, without a trailing dot ('' when there is none)."""
    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""


def path_of(url: str) -> str:
    """The URL's path without `;params` (which w3lib's canonical form drops too)."""
    return urlparse(url).path


def id_in_path(url: str, domains: Iterable[str], pattern: re.Pattern[str]) -> str | None:
    """PATTERN's first group matched at the start of URL's path, when URL is on one of DOMAINS."""
    if match_domain(host_of(url), domains) is None:
        return None
    match = pattern.match(path_of(url))
    return match.group(1) if match else None


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


def query_pairs(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def query_value(url: str, name: str) -> str | None:
    """The first non-empty value of query parameter NAME (names compared case-insensitively)."""
    name = name.lower()
    for key, value in query_pairs(url):
        if key.lower() == name and value.strip():
            return value
    return None


def has_any_param(url: str, names: Iterable[str]) -> bool:
    wanted = {n.lower() for n in names}
    return any(key.lower() in wanted and value.strip() for key, value in query_pairs(url))


def build(host: str, path: str, query: list[tuple[str, str]] | None = None, scheme: str = "https") -> str:
    """A URL from parts, the query encoded by urlencode (no fragment)."""
    return urlunsplit((scheme, host, path, urlencode(query or []), ""))


def page(host: str, path: str, query: list[tuple[str, str]] | None = None) -> str:
    """An https URL for a page that is not a product (a search, a short link): the path as
    given, percent-encoded the one canonical way (w3lib)."""
    from w3lib.url import canonicalize_url

    return canonicalize_url(build(host, path or "/", query))


def keep_params(url: str, allowed: Iterable[str]) -> list[tuple[str, str]]:
    """The query pairs whose names are in ALLOWED (an allowlist), in name order."""
    allowed = set(allowed)
    return sorted((k, v) for k, v in query_pairs(url) if k in allowed and v)


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def canonical(url: str) -> str:
    """URL in w3lib's canonical form (encoding, query order, no fragment); as given if unreadable."""
    from w3lib.url import canonicalize_url

    try:
        return canonicalize_url(url.strip(), keep_fragments=False)
    except ValueError:
        return url


def clean_generic(url: str) -> str:
    """A shop we know nothing about: drop tracking parameters and the fragment, sort the query,
    lowercase scheme and host, drop a default port. Every other parameter stays, since it may be
    what identifies the product."""
    from w3lib.url import canonicalize_url, url_query_cleaner

    tracking = sorted({k for k, _ in query_pairs(url) if is_tracking_param(k)})
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, unique=False)
    url = canonicalize_url(url, keep_fragments=False)
    parts = urlsplit(url)
    if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
        netloc = parts.netloc.rsplit(":", 1)[0]
        url = urlunsplit(parts._replace(netloc=netloc))
    return url


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
