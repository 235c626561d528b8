"""What each kind of structured data on a product page says: JSON-LD, microdata, OpenGraph.

Each reader takes a parsed page (selectolax) and returns one `Found`, raw as
the page wrote it; page_data.py combines them and checks the values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle", "car"}
OFFER_TYPES = {"offer", "aggregateoffer"}


@dataclass
class Found:
    """What one source on the page says (any field may be missing)."""

    name: str | None = None
    price: str | Decimal | int | None = None
    currency: str | None = None
    image: str | None = None
    problems: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ JSON-LD


def from_json_ld(tree: Any) -> Found:
    found = Found()
    nodes: list[dict] = []
    for script in tree.css("script"):
        if (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text(deep=True).strip()
        if not text:
            continue
        try:
            # Money is never a float: JSON numbers with a fraction become Decimals.
            data = json.loads(text, parse_float=Decimal, strict=False)
        except (ValueError, RecursionError) as exc:
            found.problems.append(f"a JSON-LD block on the page is broken ({_short(exc)})")
            continue
        nodes.extend(_walk(data))
    by_id: dict[str, dict] = {}
    for node in nodes:  # the first full object with an @id; {"@id": ...} alone is a reference to it
        if isinstance(node.get("@id"), str) and len(node) > 1:
            by_id.setdefault(node["@id"], node)

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"@id"}:
            return by_id.get(value["@id"], value)
        return value

    product = next((n for n in nodes if _types(n) & PRODUCT_TYPES), None)
    offers: list[dict] = []
    if product is not None:
        found.name = _text(product.get("name"))
        found.image = _image(resolve(product.get("image")))
        offers = _offers(product, resolve)
        if not offers:  # a ProductGroup prices its variants
            for variant in _as_list(product.get("hasVariant")):
                variant = resolve(variant)
                if isinstance(variant, dict):
                    offers += _offers(variant, resolve)
    if not offers:  # an Offer on its own
        offers = [n for n in nodes if _types(n) & OFFER_TYPES]
    for offer in offers:
        price, currency = _offer_price(offer, resolve)
        if price is not None:
            found.price, found.currency = price, currency
            break
    return found


def _walk(data: Any, depth: int = 0) -> list[dict]:
    """Every object in a JSON-LD document, @graph and nested objects included."""
    if depth > 20:
        return []
    out: list[dict] = []
    if isinstance(data, list):
        for item in data:
            out += _walk(item, depth + 1)
    elif isinstance(data, dict):
        out.append(data)
        for value in data.values():
            if isinstance(value, (dict, list)):
                out += _walk(value, depth + 1)
    return out


def _types(node: dict) -> set[str]:
    """@type as lower-case local names: "Product", ["Product", "Thing"], "https://schema.org/Product"."""
    return {
        t.rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
        for t in _as_list(node.get("@type"))
        if isinstance(t, str)
    }


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _offers(product: dict, resolve: Any) -> list[dict]:
    return [o for o in (resolve(o) for o in _as_list(product.get("offers"))) if isinstance(o, dict)]


def _offer_price(offer: dict, resolve: Any) -> tuple[Any, str | None]:
    currency = offer.get("priceCurrency")
    for key in ("price", "lowPrice"):
        value = offer.get(key)
        if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool) and str(value).strip():
            return value, currency if isinstance(currency, str) else None
    for spec in _as_list(resolve(offer.get("priceSpecification"))):
        spec = resolve(spec)
        if isinstance(spec, dict) and spec.get("price") is not None:
            spec_currency = spec.get("priceCurrency") or currency
            return spec.get("price"), spec_currency if isinstance(spec_currency, str) else None
    nested = [o for o in (resolve(o) for o in _as_list(offer.get("offers"))) if isinstance(o, dict)]
    for inner in nested:  # an AggregateOffer listing its offers
        price, inner_currency = _offer_price(inner, resolve)
        if price is not None:
            return price, inner_currency or (currency if isinstance(currency, str) else None)
    return None, None


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if _text(v)), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) and value.strip() else None


def _image(value: Any) -> str | None:
    for item in _as_list(value):
        if isinstance(item, str) and item.strip():
            return item.strip()
        if isinstance(item, dict):
            link = item.get("url") or item.get("contentUrl")
            if isinstance(link, str) and link.strip():
                return link.strip()
    return None


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


# ------------------------------------------------------------------ microdata


def from_microdata(tree: Any) -> Found:
    found = Found()
    scope = next(
        (n for n in tree.css("[itemscope][itemtype]") if _microdata_type(n) in PRODUCT_TYPES),
        None,
    )
    if scope is None:
        # Pages that mark up a price without a Product item around it.
        props = {p: tree.css_first(f'[itemprop~="{p}"]') for p in ("price", "priceCurrency")}
        found.price = _itemprop_value(props["price"]) if props["price"] is not None else None
        found.currency = (
            _itemprop_value(props["priceCurrency"]) if props["priceCurrency"] is not None else None
        )
        return found
    offers_scopes = []
    for node in scope.css("[itemprop]"):
        owner = _owner(node)
        names = (node.attributes.get("itemprop") or "").split()
        if owner == scope:
            if "offers" in names and "itemscope" in node.attributes:
                offers_scopes.append(node)
            if "name" in names and found.name is None and "itemscope" not in node.attributes:
                found.name = _itemprop_value(node)
            if "image" in names and found.image is None:
                found.image = _itemprop_value(node)
        if owner == scope or any(owner == o for o in offers_scopes):
            if "price" in names and found.price is None:
                found.price = _itemprop_value(node)
            if "lowPrice" in names and found.price is None:
                found.price = _itemprop_value(node)
            if "priceCurrency" in names and found.currency is None:
                found.currency = _itemprop_value(node)
    return found


def _microdata_type(node: Any) -> str:
    itemtype = (node.attributes.get("itemtype") or "").split()
    return itemtype[0].rstrip("/").rsplit("/", 1)[-1].lower() if itemtype else ""


def _owner(node: Any) -> Any:
    """The item a property belongs to: the nearest ancestor with itemscope."""
    parent = node.parent
    while parent is not None and "itemscope" not in (parent.attributes or {}):
        parent = parent.parent
    return parent


def _itemprop_value(node: Any) -> str | None:
    """A microdata property's value: `content`, then the element's URL or value, then its text."""
    attrs = node.attributes
    if attrs.get("content") is not None:
        return attrs["content"]
    tag = node.tag.lower()
    if tag in ("img", "audio", "video", "source", "embed", "iframe", "track"):
        return attrs.get("src")
    if tag in ("a", "area", "link"):
        return attrs.get("href")
    if tag in ("data", "meter") and attrs.get("value") is not None:
        return attrs["value"]
    if tag == "time" and attrs.get("datetime") is not None:
        return attrs["datetime"]
    return node.text(deep=True, strip=True)


# ------------------------------------------------------------------ OpenGraph


def from_opengraph(tree: Any) -> Found:
    meta: dict[str, str] = {}
    for node in tree.css("meta"):
        key = (node.attributes.get("property") or node.attributes.get("name") or "").strip().lower()
        content = node.attributes.get("content")
        if key and content is not None and key not in meta:
            meta[key] = content
    price_key = next(
        (k for k in ("product:price:amount", "og:price:amount") if meta.get(k, "").strip()), None
    )
    currency_key = "product:price:currency" if price_key == "product:price:amount" else "og:price:currency"
    return Found(
        name=meta.get("og:title"),
        image=meta.get("og:image") or meta.get("og:image:url") or meta.get("og:image:secure_url"),
        price=meta.get(price_key) if price_key else None,
        currency=meta.get(currency_key)
        or meta.get("product:price:currency")
        or meta.get("og:price:currency"),
    )
