"""What ishop4u knows about stores: one module per store behind the interface in base.py.

The rest of the program uses only the functions here.
"""

from __future__ import annotations

from ishop4u_cli.stores.base import Store, check_url
from ishop4u_cli.stores.registry import store_for_url

__all__ = ["Store", "check_url", "store_for_url", "normalize_url", "affiliate_link"]


def normalize_url(url: str) -> str:
    """The product page's URL with everything that does not identify the product removed."""
    return store_for_url(url).normalize(check_url(url))


def affiliate_link(url: str, *, tracking_id: str | None, link_template: str | None = None) -> str:
    """The link to buy with: the user's own affiliate link kept as given, else one built
    from the source's tracking id (or the clean URL when there is none)."""
    url = check_url(url)
    store = store_for_url(url)
    if store.has_affiliate_id(url):
        return url
    return store.affiliate_link(store.normalize(url), tracking_id=tracking_id, link_template=link_template)
