"""Shopify shops: product pages with a `?variant=` id, and cart permalinks.

A Shopify shop usually runs on its own domain, so it is recognised by the shape
of its product URLs (/products/<handle>, maybe under /collections/<c>/ or a
locale such as /en-us/), not by its host.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ishop4u_cli.stores import networks, urls
from ishop4u_cli.stores.base import CartLine, CartLink

_PRODUCT_PATH = re.compile(
    r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:collections/[^/]+/)?products/[^/]+/?$", re.IGNORECASE
)
_VARIANT = re.compile(r"^\d{1,20}$")


def variant_id(url: str) -> str | None:
    """The variant id of a Shopify-style product URL (/products/<handle>?variant=<id>)."""
    url = networks.unwrap(url)
    if not _PRODUCT_PATH.match(urls.path_of(url)):
        return None
    variant = (urls.query_value(url, "variant") or "").strip()
    return variant if _VARIANT.match(variant) else None


def cart_links(lines: list[CartLine]) -> list[CartLink]:
    """One cart permalink per shop (https://<shop>/cart/<variant>:<qty>,...) for the lines with a variant."""
    shops: dict[tuple[str, str], dict[str, int]] = {}
    held: dict[tuple[str, str], list[CartLine]] = {}
    for line in lines:
        url = networks.unwrap(line.url)
        variant = variant_id(url)
        if variant is None or line.quantity < 1:
            continue
        parts = urlsplit(url)
        shop = (parts.scheme.lower(), parts.netloc.lower())
        quantities = shops.setdefault(shop, {})
        quantities[variant] = quantities.get(variant, 0) + line.quantity
        held.setdefault(shop, []).append(line)
    links = []
    for (scheme, netloc), quantities in shops.items():
        items = ",".join(f"{variant}:{quantity}" for variant, quantity in quantities.items())
        links.append(CartLink(urls.build(netloc, f"/cart/{items}", scheme=scheme), held[(scheme, netloc)]))
    return links
