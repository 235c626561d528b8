"""The bulk import's fast paths give exactly what the libraries give, for any URL.

stores/canonical.py against w3lib's canonicalize_url; urls.parse's one-regex split against urlsplit.
"""

from __future__ import annotations

from urllib.parse import urlparse, urlsplit, urlunsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from w3lib.url import canonicalize_url, url_query_cleaner

from ishop4u_cli.stores import canonical, generic, registry, urls

# Characters the fast path takes and those it must leave to w3lib, mixed.
PATH_CHARS = "abcAZ09-._~/=&?#:%+ .@é;,!*'()"
HOSTS = st.one_of(
    st.text("abc09-.", min_size=1, max_size=14),
    st.sampled_from(["shop.example", "www.shop.example", "xn--bcher-kva.example", "Shop.Example", "a..b"]),
)
PORTS = st.sampled_from(["", ":443", ":80", ":8080", ":", ":0443", ":99999"])
SCHEMES = st.sampled_from(["http", "https", "HTTPS"])


def _url(scheme: str, host: str, port: str, rest: str) -> str:
    return f"{scheme}://{host}{port}/{rest}"


@settings(max_examples=2000)
@given(SCHEMES, HOSTS, PORTS, st.text(PATH_CHARS, max_size=30))
@example("https", "shop.example", "", "products/mug?variant=2&utm_source=x&a=")
@example("http", "shop.example", "", "?b=2&a=1&a=0")
@example("https", "shop.example", "", "a/./b/../c")
@example("https", "shop.example", "", "a.b=1?a.b=1&a=z")
def test_canonicalize_is_w3libs(scheme, host, port, rest):
    url = _url(scheme, host, port, rest)
    try:
        slow = canonicalize_url(url, keep_fragments=False)
    except (ValueError, UnicodeError):
        assert canonical.plain_parts(url) is None  # what w3lib cannot read, the fast path never takes
        return
    assert canonical.canonicalize(url) == slow


def _generic_with_w3lib(url: urls.Url) -> str:
    """GenericStore._normalize as it was before the fast path (w3lib for every URL)."""
    text = url.text
    tracking = sorted({k for k, _ in url.pairs if generic.is_tracking_param(k)})
    if tracking:
        text = url_query_cleaner(text, tracking, remove=True, unique=False)
    text = canonicalize_url(text, keep_fragments=False)
    parts = urlsplit(text)
    if parts.port is not None and {"http": 80, "https": 443}.get(parts.scheme) == parts.port:
        text = urlunsplit(parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]))
    return text


QUERY_KEYS = st.sampled_from(["variant", "utm_source", "UTM_Medium", "gclid", "sku", "fbclid", "a", "a.b"])


@settings(max_examples=1000)
@given(
    HOSTS,
    PORTS,
    st.text(PATH_CHARS, max_size=16),
    st.lists(st.tuples(QUERY_KEYS, st.text("az09-._~", max_size=5)), max_size=5),
)
def test_generic_normalization_is_unchanged_by_the_fast_path(host, port, path, pairs):
    query = "&".join(f"{k}={v}" for k, v in pairs)
    text = f"https://{host}{port}/{path}" + (f"?{query}" if query else "")
    try:
        url = urls.parse(text)
        expected = _generic_with_w3lib(url)
    except (ValueError, UnicodeError):
        return
    assert registry.GENERIC._normalize(url) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://shop.example/products/mug?variant=2&utm_source=x",
            "https://shop.example/products/mug?variant=2",
        ),
        ("https://shop.example:443/p?b=1&a=2", "https://shop.example/p?a=2&b=1"),
        ("https://Shop.Example/p#frag", "https://shop.example/p"),
    ],
)
def test_generic_normalization_examples(url, expected):
    assert registry.GENERIC.normalize(url) == expected


def _parse_with_urlsplit(url: str) -> urls.Url:
    """urls.parse as it was before its fast path (urlsplit for every URL)."""
    parts = urlsplit(url)
    path = parts.path
    if ";" in path:
        path = urlparse(url).path
    stripped = url.strip()
    hostname = (urlsplit(stripped) if len(stripped) != len(url) else parts).hostname or ""
    return urls.Url(url, parts.scheme, parts.netloc, hostname, hostname.rstrip("."), path, parts.query)


URL_CHARS = "aZ09-._~/?#=&:;@[]%+ \t\né"


@settings(max_examples=3000)
@given(
    st.sampled_from(["http", "HTTPS", "h2+x.y-z", "1http", "", " https"]),
    st.sampled_from(["://", ":/", ":", "//"]),
    st.text(URL_CHARS, max_size=30),
)
@example("https", "://", "WWW.Shop.Example:443/p;v=1/q;x?a=1#f")
@example("https", "://", "shop.example:80:90/p")
@example("https", "://", "shop.example#f?x=1")
@example("https", "://", "[::1]/p")
def test_parse_splits_as_urlsplit_does(scheme, sep, rest):
    url = scheme + sep + rest
    try:
        expected = _parse_with_urlsplit(url)
    except ValueError:
        with pytest.raises(ValueError):
            urls.parse.__wrapped__(url)
        return
    assert urls.parse.__wrapped__(url) == expected
