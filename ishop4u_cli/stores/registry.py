"""Which store a URL belongs to: the first store that recognises it, else the generic store.

A store is one module (a Store subclass with its table of hosts) and one line
in STORE_TYPES.
"""

from __future__ import annotations

import functools

from ishop4u_cli.stores import base, urls
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


@functools.lru_cache(maxsize=1024)  # asked three times a row by `product add` and the imports
def check_url(url: str) -> str:
    """base.check_url, and no user name or password in the pages a network link leads to either."""
    url = base.check_url(url)
    if LINKS.unwrap(url) != url:  # (cached: the store lookup reads the same answer next)
        page: str | None = url
        for _ in range(3):  # as deep as Links.unwrap looks
            page = LINKS.target_of(page) if page is not None else None
            if page is not None and "@" in urls.parse(page).netloc:
                raise base.CredentialsInUrl(urls.host_of(page))
    return url


def page_to_read(url: str) -> str | None:
    """The product page to fetch for URL: the page a network link names, never the link itself.

    None when URL is an affiliate redirect that does not name its page (amzn.to,
    ebay.us): following it would count as a click on the user's own link.
    """
    page = LINKS.unwrap(url)
    try:
        parsed = urls.parse(page)
    except ValueError:
        return None
    if LINKS.is_redirect(parsed):
        return None
    return store_for_url(url).current(page)


def page_host(url: str) -> str:
    """The host of the page URL leads to (behind any affiliate redirect), '' when unreadable."""
    return urls.host_of(LINKS.unwrap(url))


def currency_of(url: str) -> str | None:
    """The currency of the store site URL's page is on (amazon.co.uk: GBP), when the site has one."""
    try:
        page = urls.parse(LINKS.unwrap(url))
    except ValueError:
        return None
    return store_for_url(url).currency(page)
