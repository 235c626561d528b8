"""The interface every store module implements, and URL checks they share."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from ishop4u_cli.errors import UsageError


def check_url(url: str) -> str:
    """URL stripped, if it is http(s) with a host; a UsageError naming it otherwise."""
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


class Store:
    """A store ishop4u understands. Subclasses override what their store does differently."""

    api_name: str = "generic"
    display_name: str = "Other shop"

    def recognises(self, host: str) -> bool:
        return False

    def product_id(self, url: str) -> str | None:
        """The store's own id for the product (an ASIN, an item id), when the URL has one."""
        return None

    def normalize(self, url: str) -> str:
        """Keep what identifies the product; drop tracking noise and the fragment."""
        from w3lib.url import canonicalize_url

        return canonicalize_url(url, keep_fragments=False)

    def has_affiliate_id(self, url: str) -> bool:
        """True when the user's link already carries someone's affiliate id."""
        return False

    def affiliate_link(self, url: str, *, tracking_id: str | None, link_template: str | None) -> str:
        """The affiliate link for a normalized URL (unchanged when there is no tracking id)."""
        return url

    def cart_link(self, lines: list[CartLine], *, tracking_id: str | None) -> list[str]:
        """Links that fill this store's own cart with LINES (empty when the store has none)."""
        return []
