"""Which store a URL belongs to; the generic store when none recognises it."""

from __future__ import annotations

import functools

from ishop4u_cli.stores import networks, urls
from ishop4u_cli.stores.aliexpress import AliExpress
from ishop4u_cli.stores.amazon import Amazon
from ishop4u_cli.stores.base import Store
from ishop4u_cli.stores.ebay import Ebay
from ishop4u_cli.stores.etsy import Etsy
from ishop4u_cli.stores.generic import GenericStore
from ishop4u_cli.stores.walmart import Walmart

GENERIC: Store = GenericStore()
STORES: list[Store] = [Amazon(), AliExpress(), Ebay(), Walmart(), Etsy()]


def store_for_url(url: str) -> Store:
    """The store URL belongs to; a network redirect belongs to the store it leads to."""
    return _store_for_host(urls.host_of(networks.unwrap(url)))


@functools.lru_cache(maxsize=1024)
def _store_for_host(host: str) -> Store:
    return next((store for store in STORES if store.recognises(host)), GENERIC)


def store_named(api_name: str) -> Store | None:
    """The store whose api_name is API_NAME (as in affiliate_sources.api_name)."""
    api_name = api_name.strip().lower()
    return next((s for s in [*STORES, GENERIC] if s.api_name == api_name), None)
