"""The interface every store module implements, and URL checks they share."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from ishop4u_cli.errors import UsageError
from ishop4u_cli.stores import networks, urls


@functools.lru_cache(maxsize=256)
def check_url(url: str) -> str:
    """URL stripped, if it is http(s) with a host; a UsageError naming it otherwise."""
    from urllib.parse import urlsplit

    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise UsageError(f"not a valid URL: {url!r}") from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise UsageError(f"not a product URL (http or https with a host): {url!r}")
    return url


@dataclass(frozen=True)
class CartLine:
    """One item for a store-cart link."""

    url: str
    product_id: str | None
    quantity: int


@dataclass(frozen=True)
class CartLink:
    """One link that fills a store's cart, and the lines it holds (the others need their own links)."""

    url: str
    lines: list[CartLine] = field(default_factory=list)


class Store:
    """A store ishop4u understands. Subclasses override what their store does differently.

    `product_id` and `normalize` first look through known affiliate-network
    redirects (goto.walmart.com?u=..., awin1.com?ued=...) so that a user's own
    network link and the plain product page are the same product, and read the
    URL in w3lib's canonical form, so that a URL and its normalized form match
    the same rules (stray spaces, `;params`, percent-encoding).
    """

    api_name: str = "generic"
    display_name: str = "Other shop"

    def recognises(self, host: str) -> bool:
        return False

    def product_id(self, url: str) -> str | None:
        """The store's own id for the product (an ASIN, an item id), when the URL has one."""
        return self._product_id(_canonical(networks.unwrap(url)))

    def normalize(self, url: str) -> str:
        """Keep what identifies the product; drop tracking noise and the fragment."""
        return _normalized(self, url)

    def has_affiliate_id(self, url: str) -> bool:
        """True when the user's link already carries someone's affiliate id."""
        return networks.is_affiliate_link(url)

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
        return self._affiliate_link(url, tracking_id)

    def cart_link(self, lines: list[CartLine], *, tracking_id: str | None) -> list[str]:
        """Links that fill this store's own cart with LINES (empty when the store has none)."""
        return [link.url for link in self.cart_links(lines, tracking_id=tracking_id)]

    def cart_links(self, lines: list[CartLine], *, tracking_id: str | None) -> list[CartLink]:
        """Like cart_link, saying which lines each link holds."""
        return []

    # What subclasses override; the URL has been unwrapped from network redirects and canonicalized.

    def _product_id(self, url: str) -> str | None:
        return None

    def _normalize(self, url: str) -> str:
        return urls.clean_generic(url)

    def _affiliate_link(self, url: str, tracking_id: str) -> str:
        return url


@functools.lru_cache(maxsize=256)
def _normalized(store: Store, url: str) -> str:
    # The same URL is normalized several times while one product is added (its
    # canonical URL, then its affiliate link): the second time is free.
    return store._normalize(_canonical(networks.unwrap(url)))


# Letters, digits and the URL delimiters that canonicalization leaves as they are.
_PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?&=+,;@!$*]*")


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
