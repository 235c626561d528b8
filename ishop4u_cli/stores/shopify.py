"""Shopify shops: product pages with a `?variant=` id, and cart permalinks.

A Shopify shop usually runs on its own domain, so it is recognised by the shape
of its product URLs (/products/<handle>?variant=<id>, maybe under
/collections/<c>/ or a locale such as /en-us/), not by its host. Shops are many
stores, not one affiliate source: their products stay "no store", as any other
shop's, and their URLs are normalized as any other shop's.
"""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import CartLink, CartLinkItem
from ishop4u_cli.stores.generic import GenericStore
from ishop4u_cli.stores.urls import Url

_PRODUCT_PATH = re.compile(
    r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:collections/[^/]+/)?products/[^/]+/?$", re.IGNORECASE
)
_VARIANT = re.compile(r"^\d{1,20}$")


class Shopify(GenericStore):
    def recognises(self, url: Url) -> bool:
        # Read in canonical form, as the product id is, so the two always agree.
        return self._product_id(self._read(url.text)) is not None

    def _product_id(self, url: Url) -> str | None:
        """The variant id of a Shopify product URL: the one id a shop's URL is known to carry."""
        if not _PRODUCT_PATH.match(url.path):
            return None
        variant = (url.param("variant") or "").strip()
        return variant if _VARIANT.match(variant) else None

    def cart_links(self, items: list[CartLinkItem], *, tracking_id: str | None) -> list[CartLink]:
        """One cart permalink per shop (https://<shop>/cart/<variant>:<qty>,...) for the items with a variant."""
        shops: dict[tuple[str, str], dict[str, int]] = {}
        held: dict[tuple[str, str], list[CartLinkItem]] = {}
        for item in items:
            page = self._read(item.url)
            variant = self._product_id(page)
            if variant is None or item.quantity < 1:
                continue
            shop = (page.scheme, page.netloc.lower())
            quantities = shops.setdefault(shop, {})
            quantities[variant] = quantities.get(variant, 0) + item.quantity
            held.setdefault(shop, []).append(item)
        links = []
        for (scheme, netloc), quantities in shops.items():
            variants = ",".join(f"{variant}:{quantity}" for variant, quantity in quantities.items())
            links.append(
                CartLink(urls.build(netloc, f"/cart/{variants}", scheme=scheme), held[(scheme, netloc)])
            )
        return links
