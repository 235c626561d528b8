"""Which store a URL belongs to; the generic store when none recognises it."""

from __future__ import annotations

from urllib.parse import urlsplit

from ishop4u_cli.stores.base import Store

GENERIC = Store()
STORES: list[Store] = []


def store_for_url(url: str) -> Store:
    host = (urlsplit(url.strip()).hostname or "").lower()
    for store in STORES:
        if store.recognises(host):
            return store
    return GENERIC
