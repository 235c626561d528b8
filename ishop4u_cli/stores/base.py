"""The interface every store module implements: a table of hosts and what the store does with its URLs."""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ishop4u_cli.errors import UsageError
from ishop4u_cli.stores import networks, urls
from ishop4u_cli.stores.networks import Network
from ishop4u_cli.stores.urls import Url
from ishop4u_cli.text import url_without_controls

# The api_name of stores whose products belong to no source (services' source_for_store): any
# other shop, and Shopify shops, which are many stores on their own domains, not one source.
NO_SOURCE = "generic"


@functools.lru_cache(maxsize=256)
def check_url(url: str) -> str:
    """URL stripped, if it is http(s) with a host and no user name or password; a UsageError otherwise.

    A URL with credentials (https://user:secret@shop.example/) is refused, never
    stored or repeated: the message names its host only.
    """
    # Controls and bidi characters are percent-encoded: no stored URL can carry an escape
    # sequence to a terminal (they mean nothing in an address).
    url = url_without_controls(url.strip())
    try:
        parts = urls.parse(url)
    except ValueError:
        raise UsageError(f"not a valid URL: {urls.without_userinfo(url)!r}") from None
    if "@" in parts.netloc:
        raise CredentialsInUrl(parts.host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"not a product URL (http or https with a host): {url!r}")
    return url


class CredentialsInUrl(UsageError):
    """A URL (or the page a network link leads to) with a user name or password: refused, never shown."""

    def __init__(self, host: str) -> None:
        where = f" (on {host})" if host else ""
        super().__init__(
            f"the URL carries a user name or password{where}: ishop4u never stores them; "
            "paste the link without the `user:password@` part"
        )


class HostKind(enum.Enum):
    """What a host in a store's table serves, when it is not an affiliate link (a `Network`)."""

    PAGES = "the store's pages"
    SHORT_LINK = "share links that only redirect to the store's pages, with no affiliate id"


PAGES = HostKind.PAGES
SHORT_LINK = HostKind.SHORT_LINK
Host = HostKind | Network


@dataclass(frozen=True)
class CartLinkItem:
    """One item a store-cart link may hold: its page, the store's id for it, how many."""

    url: str
    product_id: str | None
    quantity: int


@dataclass(frozen=True)
class CartLink:
    """One link that fills a store's cart, and the items it holds (the others need their own links)."""

    url: str
    items: list[CartLinkItem] = field(default_factory=list)


def links_of(tables: Iterable[Mapping[str, Host]]) -> networks.Links:
    """The one table of affiliate-link forms: the networks' and those in the stores' host TABLES."""
    own = {host: kind for table in tables for host, kind in table.items() if isinstance(kind, Network)}
    return networks.Links({**networks.NETWORKS, **own})


class Store:
    """A store ishop4u understands. Subclasses fill in their table of hosts and override what
    their store does differently.

    `product_id` and `normalize` first look through affiliate redirects
    (goto.walmart.com?u=..., awin1.com?ued=...) so that a user's own affiliate
    link and the plain product page are the same product, and read the URL in
    w3lib's canonical form, so that a URL and its normalized form match the same
    rules (stray spaces, `;params`, percent-encoding).
    """

    api_name: str = NO_SOURCE  # the affiliate_sources.api_name its products are filed under
    # Its hosts (a host under one is the store's too: smile.amazon.com) and what each serves:
    # PAGES, SHORT_LINKs, or affiliate links (a Network: they carry someone's id).
    hosts: Mapping[str, Host] = {}
    # Query parameters that carry an affiliate id on the store's own pages (Amazon's `tag`).
    affiliate_params: tuple[str, ...] = ()
    # The ISO 4217 currency each of its PAGES domains sells in (amazon.co.uk: GBP); none: it varies.
    currencies: Mapping[str, str] = {}

    def __init__(self, links: networks.Links | None = None) -> None:
        # The registry hands every store the table of all stores' links (one store's redirect may
        # lead to another's page); a store made alone knows the networks and its own links.
        self.links = links if links is not None else links_of([self.hosts])
        self._affiliate_params = frozenset(p.lower() for p in self.affiliate_params)
        self._on_hosts = _domain_matcher(self.hosts)
        self._on_pages = _domain_matcher(host for host, kind in self.hosts.items() if kind is PAGES)

    def recognises(self, url: Url) -> bool:
        """True when URL (the page behind any affiliate redirect) is on one of the store's hosts."""
        return self._on_hosts(url.host) is not None

    def currency(self, url: Url) -> str | None:
        """The currency the store's site at URL (the page, not a redirect) sells in, when it is one."""
        return self.currencies.get(self.domain(url) or "")

    def current(self, url: str) -> str:
        """URL on the host the store serves it from today (a retired host's link moved), else URL."""
        return url

    def product_id(self, url: str) -> str | None:
        """The store's own id for the product (an ASIN, an item id), when the URL has one."""
        return self._product_id(self._read(url))

    def normalize(self, url: str) -> str:
        """Keep what identifies the product; drop tracking noise and the fragment."""
        return _normalized(self, url)

    def has_affiliate_id(self, url: str) -> bool:
        """True when the user's link already carries someone's affiliate id."""
        parts = urls.parse(url)
        return self.links.is_affiliate_link(parts) or parts.has_any_param(self._affiliate_params)

    def affiliate_link(self, url: str, *, tracking_id: str | None, link_template: str | None) -> str:
        """The affiliate link for a normalized URL (unchanged when there is no tracking id).

        A link template set on the source wins over the store's own rule: an
        owner who set one meant it.
        """
        tracking_id = (tracking_id or "").strip() or None
        if link_template:
            return urls.fill_template(link_template, url=url, tracking_id=tracking_id) or url
        if tracking_id is None:
            return url
        return self._affiliate_link(urls.parse(url), tracking_id)

    def cart_links(self, items: list[CartLinkItem], *, tracking_id: str | None) -> list[CartLink]:
        """Links that fill this store's own cart with ITEMS, saying which items each holds
        (empty when the store has none)."""
        return []

    # ---------------------------------------------------------------- for the store modules

    def domain(self, url: Url) -> str | None:
        """The PAGES host of the table that URL is on (amazon.co.uk for smile.amazon.co.uk), or None."""
        return self._on_pages(url.host)

    def id_in_path(self, url: Url, pattern: re.Pattern[str]) -> str | None:
        """PATTERN's first group matched at the start of URL's path, when URL is on the store's pages."""
        if self.domain(url) is None:
            return None
        match = pattern.match(url.path)
        return match.group(1) if match else None

    def _read(self, url: str) -> Url:
        """URL as the store reads it: the page behind any affiliate redirect, canonical, parsed."""
        return urls.parse(_canonical(self.links.unwrap(url)))

    # What subclasses override; URL is as `_read` gives it (for `_affiliate_link`: the normalized URL).

    def _product_id(self, url: Url) -> str | None:
        return None

    def _normalize(self, url: Url) -> str:
        raise NotImplementedError(f"{type(self).__name__} says how its URLs are normalized")

    def _affiliate_link(self, url: Url, tracking_id: str) -> str:
        return url.text


def _domain_matcher(domains: Iterable[str]) -> Callable[[str], str | None]:
    """urls.match_domain over DOMAINS, cached per host: a table is matched for every URL read."""
    table = tuple(domains)

    @functools.lru_cache(maxsize=1024)
    def match(host: str) -> str | None:
        return urls.match_domain(host, table)

    return match


@functools.lru_cache(maxsize=256)
def _normalized(store: Store, url: str) -> str:
    # The same URL is normalized several times while one product is added (its
    # canonical URL, then its affiliate link): the second time is free.
    return store._normalize(store._read(url))


# Letters, digits and the URL delimiters that canonicalization leaves as they are.
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?&=+,;@!$*]*")


@functools.lru_cache(maxsize=1024)
def _canonical(url: str) -> str:
    """The canonical form the stores read; a plain lowercase-host URL needs no w3lib pass.

    Store modules rebuild the URL from its parts (host, path, allowlisted query
    pairs, sorted), so for a URL with nothing to decode, escape or lowercase,
    canonicalizing first changes nothing but costs a third of a bulk import.
    tests/test_stores.py checks the two paths agree.
    """
    head = url.split("/", 3)[:3]
    if _PLAIN_URL.fullmatch(url) and "/".join(head) == "/".join(head).lower():
        return url
    return urls.canonical(url)
