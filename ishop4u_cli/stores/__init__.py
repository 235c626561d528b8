"""What ishop4u knows about stores: one module per store behind the interface in base.py.

The rest of the program uses only the functions here.
"""

from __future__ import annotations

from ishop4u_cli.stores.base import CartLink, CartLinkItem, CredentialsInUrl, Store
from ishop4u_cli.stores.registry import check_url, currency_of, page_host, page_to_read, store_for_url
from ishop4u_cli.stores.urls import made_from_template

__all__ = [
    "CartLink",
    "CartLinkItem",
    "CredentialsInUrl",
    "Store",
    "affiliate_link",
    "check_url",
    "currency_of",
    "normalize_url",
    "page_host",
    "page_to_read",
    "product_id",
    "store_for_url",
]


def normalize_url(url: str) -> str:
    """The product page's URL with everything that does not identify the product removed."""
    url = check_url(url)
    return store_for_url(url).normalize(url)


def product_id(url: str) -> str | None:
    """The store's id for the product at URL (an ASIN, an item id), or None."""
    url = check_url(url)
    return store_for_url(url).product_id(url)


def affiliate_link(url: str, *, tracking_id: str | None, link_template: str | None = None) -> str:
    """The link to buy with: the user's own affiliate link kept as given, else one built
    from the source's tracking id (or the clean URL when there is none)."""
    url = check_url(url)
    store = store_for_url(url)
    if store.has_affiliate_id(url) or made_from_template(url, link_template, tracking_id):
        return store.current(url)
    return store.affiliate_link(store.normalize(url), tracking_id=tracking_id, link_template=link_template)
