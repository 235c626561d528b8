"""What each kind of structured data on a product page says: JSON-LD, microdata, OpenGraph.

Each reader takes a parsed page (selectolax) and returns one `Found`, raw as
the page wrote it; page_data.py combines them and checks the values.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

# A page may not make us work without end: each reader visits at most this many objects or
# elements (the biggest real product pages have a few thousand), each only once.
MAX_NODES = 200_000

PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle", "car"}
OFFER_TYPES = {"offer", "aggregateoffer"}


@dataclass
class Found:
    """What one source on the page says (any field may be missing)."""

    name: str | None = None
    price: str | Decimal | int | None = None
    currency: str | None = None
    image: str | None = None
    availability: str | None = None  # as written ("https://schema.org/InStock", "in stock", ...)
    problems: list[str] = field(default_factory=list)


class TooMuchWork(Exception):
    """The page's structured data is too big or too slow to read; the message says which."""


class Budget:
    """What one reader may spend: MAX_NODES visits, and the read's DEADLINE (a monotonic time)."""

    def __init__(self, deadline: float | None = None, nodes: int = MAX_NODES) -> None:
        self.deadline = deadline
        self.left = nodes
        self.nodes = nodes

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooMuchWork(f"more than {self.nodes:,} items of structured data")
        if self.deadline is not None and self.left % 512 == 0 and time.monotonic() > self.deadline:
            raise TooMuchWork("it took longer than the time allowed")


def read_with(reader: Any, tree: Any, deadline: float | None, what: str) -> Found:
    """READER(tree, budget), or a Found that says why WHAT could not be read in time."""
    try:
        return reader(tree, Budget(deadline))
    except (TooMuchWork, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, TooMuchWork) else "nested too deeply"
        return Found(problems=[f"the page's {what} was not read: {reason}"])


# ------------------------------------------------------------------ JSON-LD

# Wrappers that pages (and old CMSs) put around JSON-LD: HTML comments and CDATA sections,
# sometimes behind a JavaScript line comment.
_WRAPPER_START = re.compile(r"^\s*(?://[ \t]*)?(?:<!\[CDATA\[|<!--)")
_WRAPPER_END = re.compile(r"(?://[ \t]*)?(?:\]\]>|-->)\s*$")
_BETWEEN_VALUES = re.compile(r"[\s;,]*")


def json_ld_values(text: str) -> tuple[list[Any], str | None]:
    """The JSON values in one JSON-LD block, and what was broken (None when nothing was).

    Reads blocks as pages write them: wrapped in `<!-- -->` or `<![CDATA[ ]]>`, ended by a
    stray `;`, with raw control characters inside strings, or several values one after
    another. Values read before a broken part are kept.
    """
    for _ in range(3):  # a comment around a CDATA section, at most: never one pass per wrapper
        unwrapped = _WRAPPER_END.sub("", _WRAPPER_START.sub("", text, count=1), count=1)
        if unwrapped == text:
            break
        text = unwrapped
    # Money is never a float: JSON numbers with a fraction become Decimals.
    decoder = json.JSONDecoder(parse_float=Decimal, strict=False)
    values: list[Any] = []
    position = 0
    while True:
        position = _BETWEEN_VALUES.match(text, position).end()  # type: ignore[union-attr]
        if position >= len(text):
            return values, None
        try:
            value, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError) as exc:
            return values, _short(exc)
        values.append(value)


def from_json_ld(tree: Any, budget: Budget | None = None) -> Found:
    budget = budget or Budget()
    found = Found()
    nodes: list[dict] = []
    for script in tree.css("script"):
        if (script.attributes.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = script.text(deep=True).strip()
        if not text:
            continue
        values, broken = json_ld_values(text)
        if broken is not None:
            found.problems.append(f"a JSON-LD block on the page is broken ({broken})")
        for value in values:
            nodes.extend(_walk(value, budget))
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
                budget.spend()
                variant = resolve(variant)
                if isinstance(variant, dict):
                    offers += _offers(variant, resolve)
    if not offers:  # an Offer on its own
        offers = [n for n in nodes if _types(n) & OFFER_TYPES]
    # Offers may point at each other by @id, in cycles or in a lattice that doubles at each
    # level: each object is priced at most once.
    seen: set[int] = set()
    for offer in offers:
        price, currency, stock = _offer_price(offer, resolve, budget, seen)
        if price is not None:
            found.price, found.currency, found.availability = price, currency, stock
            break
    if found.availability is None:  # stock said on an offer without a price, or on the product
        found.availability = next(
            (a for a in (_stock(o.get("availability")) for o in [*offers, product or {}]) if a), None
        )
    return found


def _walk(data: Any, budget: Budget) -> list[dict]:
    """Every object in a JSON-LD document, @graph and nested objects included (at most 20 deep)."""
    out: list[dict] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > 20:
            continue
        budget.spend()
        if isinstance(item, list):
            stack.extend((v, depth + 1) for v in reversed(item) if isinstance(v, (dict, list)))
        elif isinstance(item, dict):
            out.append(item)
            stack.extend((v, depth + 1) for v in reversed(item.values()) if isinstance(v, (dict, list)))
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


def _offer_price(
    offer: dict, resolve: Any, budget: Budget, seen: set[int]
) -> tuple[Any, str | None, str | None]:
    """The offer's price, its currency and the stock said with it (each None when not there)."""
    if id(offer) in seen:
        return None, None, None
    seen.add(id(offer))
    budget.spend()
    currency = offer.get("priceCurrency")
    currency = currency if isinstance(currency, str) else None
    stock = _stock(offer.get("availability"))
    for key in ("price", "lowPrice"):
        value = offer.get(key)
        if isinstance(value, (str, int, Decimal)) and not isinstance(value, bool) and str(value).strip():
            return value, currency, stock
    for spec in _as_list(resolve(offer.get("priceSpecification"))):
        budget.spend()
        spec = resolve(spec)
        if isinstance(spec, dict) and spec.get("price") is not None:
            spec_currency = spec.get("priceCurrency") or currency
            return spec.get("price"), spec_currency if isinstance(spec_currency, str) else None, stock
    nested = [o for o in (resolve(o) for o in _as_list(offer.get("offers"))) if isinstance(o, dict)]
    for inner in nested:  # an AggregateOffer listing its offers
        price, inner_currency, inner_stock = _offer_price(inner, resolve, budget, seen)
        if price is not None:
            return price, inner_currency or currency, inner_stock or stock
    return None, None, None


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if _text(v)), None)
    if isinstance(value, dict):
        value = value.get("@value")
    return value if isinstance(value, str) and value.strip() else None


def _stock(value: Any) -> str | None:
    """An availability as written: "InStock", a schema.org URL, or {"@id": that URL}."""
    if isinstance(value, dict) and isinstance(value.get("@id"), str):
        value = value["@id"]
    return _text(value)


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


def from_microdata(tree: Any, budget: Budget | None = None) -> Found:
    budget = budget or Budget()
    found = Found()
    scope = None
    for node in tree.css("[itemscope][itemtype]"):
        budget.spend()
        if _microdata_type(node) in PRODUCT_TYPES:
            scope = node
            break
    if scope is None:
        # Pages that mark up a price without a Product item around it.
        props = {p: tree.css_first(f'[itemprop~="{p}"]') for p in ("price", "priceCurrency", "availability")}
        found.price = _itemprop_value(props["price"]) if props["price"] is not None else None
        found.currency = (
            _itemprop_value(props["priceCurrency"]) if props["priceCurrency"] is not None else None
        )
        stock = props["availability"]
        found.availability = _itemprop_value(stock) if stock is not None else None
        return found
    # One walk down from the product, in document order, knowing at each element whose
    # property it would be: the product's, one of its offers', or another item's (skipped
    # with everything inside it). Each element is visited once, however deep the nesting.
    stack: list[tuple[Any, str]] = [(child, "product") for child in reversed(list(scope.iter()))]
    while stack:
        node, owner = stack.pop()
        budget.spend()
        attrs = node.attributes
        names = (attrs.get("itemprop") or "").split()
        is_item = "itemscope" in attrs
        if names:
            if owner == "product" and not is_item and "name" in names and found.name is None:
                found.name = _itemprop_value(node)
            if owner == "product" and "image" in names and found.image is None:
                found.image = _itemprop_value(node)
            if found.price is None and ("price" in names or "lowPrice" in names):
                found.price = _itemprop_value(node)
            if "priceCurrency" in names and found.currency is None:
                found.currency = _itemprop_value(node)
            if "availability" in names and found.availability is None:
                found.availability = _itemprop_value(node)
        if is_item:
            if not (owner == "product" and "offers" in names):
                continue  # another item: its properties are its own
            owner = "offer"
        stack.extend((child, owner) for child in reversed(list(node.iter())))
    return found


def _microdata_type(node: Any) -> str:
    itemtype = (node.attributes.get("itemtype") or "").split()
    return itemtype[0].rstrip("/").rsplit("/", 1)[-1].lower() if itemtype else ""


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
        availability=meta.get("product:availability") or meta.get("og:availability"),
    )
