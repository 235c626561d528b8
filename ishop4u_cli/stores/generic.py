"""Any other shop: tracking parameters dropped, link templates, Shopify cart permalinks."""

from __future__ import annotations

from ishop4u_cli.stores import shopify
from ishop4u_cli.stores.base import CartLine, CartLink, Store


class GenericStore(Store):
    api_name = "generic"
    display_name = "Other shop"

    def _product_id(self, url: str) -> str | None:
        # A Shopify variant is the only id a shop's URL is known to carry.
        return shopify.variant_id(url)

    def cart_links(self, lines: list[CartLine], *, tracking_id: str | None) -> list[CartLink]:
        return shopify.cart_links(lines)
