"""What a product page's markup says: schema.org JSON-LD, microdata and OpenGraph.

Pure functions over HTML text (no network): `read_page(html, url)`. The first
source that names a field wins, in this order: JSON-LD, microdata, OpenGraph
(then the <title> for the name). A price and its currency are taken together
from one source; a currency found elsewhere on the page fills in for a price
that came without one, and a symbol is used only when it names one currency.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

from ishop4u_cli.money import CENT, CURRENCIES, MAX_PRICE
from ishop4u_cli.services.pages import PageInfo

# Symbols that name one currency. "$", "¥" and "kr" name several: left to an explicit field.
SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "₩": "KRW",
    "₺": "TRY",
    "₽": "RUB",
    "₴": "UAH",
    "₪": "ILS",
    "₫": "VND",
    "฿": "THB",
    "₱": "PHP",
    "zł": "PLN",
    "Kč": "CZK",
    "Ft": "HUF",
    "lei": "RON",
    "R$": "BRL",
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "S$": "SGD",
    "MX$": "MXN",
    "CHF": "CHF",
    "Fr.": "CHF",
    "руб": "RUB",
    "RM": "MYR",
}

PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle", "car"}
OFFER_TYPES = {"offer", "aggregateoffer"}

# A price written for machines: digits and a decimal point (schema.org's rule for `price`).
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# price-parser reads "-5" as 5 and "1e400" as 1: a sign or an exponent is refused first.
_NOT_A_PRICE = re.compile(r"^[^\d]*[-\u2212]\s*[\d.]|\d[eE][+-]?\d")

# What robot checks and bot walls put on the page in place of the product. Titles and
# Amazon's captcha form are certain; a captcha widget alone only counts when the page
# has no price (a product page may carry one in a review or newsletter form).
_ROBOT_TITLES = (
    "robot check",
    "robot or human",
    "just a moment",
    "attention required",
    "are you a robot",
    "pardon our interruption",
    "access to this page has been denied",
    "verify you are human",
    "security check",
    "captcha",
)
_ROBOT_PATHS = {"captcha", "validatecaptcha", "showcaptcha", "blocked", "punish"}  # where bot walls redirect
_ROBOT_FORMS = ("/errors/validatecaptcha", "captchacharacters", "_____tmd_____/punish", "x5secdata")
_CAPTCHA_WIDGETS = (
    "g-recaptcha",
    "h-captcha",
    "cf-chl-",
    "challenges.cloudflare.com",
    "px-captcha",
    "geo.captcha-delivery.com",
)
CAPTCHA_PROBLEM = "the store answered with a captcha (robot check) page, not the product"


@dataclass
class Found:
    """What one source on the page says (any field may be missing)."""

    name: str | None = None
    price: str | Decimal | int | None = None
    currency: str | None = None
    image: str | None = None
    problems: list[str] = field(default_factory=list)


def read_page(html: str, url: str) -> PageInfo:
    """Name, price, currency and image from the page at URL whose markup is HTML."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    robot = robot_check(title, html, url)
    if robot == "certain":
        return PageInfo(problems=[CAPTCHA_PROBLEM])
    info = combine([from_json_ld(tree), from_microdata(tree), from_opengraph(tree), Found(name=title)], url)
    if robot == "possible" and info.price is None:
        return PageInfo(problems=[CAPTCHA_PROBLEM])
    return info


def robot_check(title: str | None, html: str, url: str) -> str | None:
    """ "certain" for a robot-check page, "possible" for a page with a captcha widget, else None."""
    lowered_title = (title or "").strip().lower()
    segments = set(urlsplit(url).path.lower().split("/"))
    lowered = html[:500_000].lower()
    if (
        any(lowered_title.startswith(t) for t in _ROBOT_TITLES)
        or segments & _ROBOT_PATHS
        or any(marker in lowered for marker in _ROBOT_FORMS)
    ):
        return "certain"
    if any(marker in lowered for marker in _CAPTCHA_WIDGETS):
        return "possible"
    return None


def combine(sources: list[Found], url: str) -> PageInfo:
    info = PageInfo()
    for found in sources:
        info.problems.extend(found.problems)
    info.name = next((_clean_text(f.name) for f in sources if _clean_text(f.name)), None)
    image = next((f.image.strip() for f in sources if f.image and f.image.strip()), None)
    info.image_url = _absolute(image, url)

    priced = [f for f in sources if f.price is not None and str(f.price).strip()]
    any_currency = next((c for f in sources if (c := _currency_code(f.currency))), None)
    unusable = []
    for found in priced:
        price, symbol = parse_price(found.price)
        if price is None:
            unusable.append(str(found.price).strip())
            continue
        info.price = price
        info.currency = _currency_code(found.currency) or any_currency or symbol
        break
    if info.name is None:
        info.problems.append("no product name found on the page")
    if info.price is None and unusable:
        info.problems.append(f"the page's price {unusable[0]!r} is not a usable price (at most 2 decimals)")
    elif info.price is None:
        info.problems.append("no price found on the page")
    elif info.currency is None:
        info.problems.append("the page's price has no currency")
    return info


def parse_price(value: str | Decimal | int) -> tuple[Decimal | None, str | None]:
    """A price in cents and the currency its symbol names (if one).

    Machine-readable values ("1299.00", 1299) are read as written. Text ("1.299,00 €")
    goes through price-parser. More than two decimal places is refused, not rounded:
    a page's "19.999" is more likely a misread than a price of 19.999.
    """
    symbol = None
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, Decimal)):
        amount: Decimal | None = Decimal(value)
    else:
        text = value.strip()
        if _NOT_A_PRICE.search(text):
            return None, None
        if _PLAIN_NUMBER.fullmatch(text):
            amount = Decimal(text)
        else:
            from price_parser import Price

            parsed = Price.fromstring(text)
            amount = parsed.amount
            symbol = _currency_code(parsed.currency)
    try:
        if amount is None or not amount.is_finite() or amount <= 0 or amount > MAX_PRICE:
            return None, symbol
        cents = amount.quantize(CENT)
    except InvalidOperation:
        return None, symbol
    return (cents if cents == amount else None), symbol


def _currency_code(text: str | None) -> str | None:
    if not isinstance(text, str):
        return None
    text = text.strip()
    if text.upper() in CURRENCIES:
        return text.upper()
    return SYMBOLS.get(text)


def _clean_text(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = " ".join(html_lib.unescape(text).split())
    return cleaned or None


def _absolute(link: str | None, base: str) -> str | None:
    if not link:
        return None
    absolute = urljoin(base, link)
    return absolute if urlsplit(absolute).scheme in ("http", "https") else None


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
