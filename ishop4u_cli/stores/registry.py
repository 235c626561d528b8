"""Which store a URL belongs to: the first store that recognises it, else the generic store.

A store is one module (a Store subclass with its table of hosts) and one line
in STORE_TYPES.
"""

from __future__ import annotations

import functools

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.aliexpress import AliExpress
from ishop4u_cli.stores.amazon import Amazon
from ishop4u_cli.stores.base import Store, links_of
from ishop4u_cli.stores.ebay import Ebay
from ishop4u_cli.stores.etsy import Etsy
from ishop4u_cli.stores.generic import GenericStore
from ishop4u_cli.stores.shopify import Shopify
from ishop4u_cli.stores.walmart import Walmart

# Tried in this order. Shopify, recognised on any host by the shape of its URLs, comes after
# the stores recognised by their hosts, so that a page on amazon.com is always Amazon's.
STORE_TYPES: tuple[type[Store], ...] = (Amazon, AliExpress, Ebay, Walmart, Etsy, Shopify)

# Every store reads every store's affiliate links: one store's redirect may lead to another's page.
LINKS = links_of(kind.hosts for kind in STORE_TYPES)
STORES: list[Store] = [kind(LINKS) for kind in STORE_TYPES]
GENERIC: Store = GenericStore(LINKS)


@functools.lru_cache(maxsize=1024)
def store_for_url(url: str) -> Store:
    """The store URL belongs to; an affiliate redirect belongs to the store it leads to."""
    try:
        page = urls.parse(LINKS.unwrap(url))
    except ValueError:
        return GENERIC
    return next((store for store in STORES if store.recognises(page)), GENERIC)
