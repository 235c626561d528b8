"""What a product page's markup says: schema.org JSON-LD, microdata and OpenGraph.

Pure functions over HTML text (no network): `read_page(html, url)`; the three
readers are in page_markup.py. The first source that names a field wins, in this order: JSON-LD, microdata, OpenGraph
(then the <title> for the name). A price and its currency are taken together
from one source; a currency found elsewhere on the page fills in for a price
that came without one, and a symbol is used only when it names one currency.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin, urlsplit

from ishop4u_cli.money import CENT, CURRENCIES, MAX_PRICE
from ishop4u_cli.services.page_markup import Found, from_json_ld, from_microdata, from_opengraph, read_with

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


# A price written for machines: digits and a decimal point (schema.org's rule for `price`).
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
# A price of nothing: "0", "0.00", "$0,00", "EUR 0".
_ZERO = re.compile(r"[^\d]*0+(?:[.,]0*)?[^\d]*")
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
# schema.org's ItemAvailability names and OpenGraph's words, squeezed to lower-case letters.
_STOCK = {
    "instock": "in_stock",
    "instoreonly": "in_stock",
    "onlineonly": "in_stock",
    "limitedavailability": "in_stock",
    "available": "in_stock",
    "availablefororder": "in_stock",
    "outofstock": "out_of_stock",
    "soldout": "out_of_stock",
    "oos": "out_of_stock",
    "unavailable": "out_of_stock",
    "preorder": "preorder",
    "presale": "preorder",
    "backorder": "preorder",
    "pending": "preorder",
    "discontinued": "discontinued",
}
CAPTCHA_PROBLEM = "the store answered with a captcha (robot check) page, not the product"
# The longest price text worth reading ("EUR 1.299.999,99 incl. VAT" is 26 characters).
MAX_PRICE_TEXT = 64


@dataclass
class PageInfo:
    """What a product page told us; `problems` says what was missing or went wrong."""

    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    image_url: str | None = None
    # schema.org availability as services/history.AVAILABILITY names it
    availability: str = "unknown"
    problems: list[str] = field(default_factory=list)


def read_page(html: str, url: str, *, deadline: float | None = None) -> PageInfo:
    """Name, price, currency and image from the page at URL whose markup is HTML.

    Each reader visits a bounded number of objects, each once, and stops at DEADLINE
    (a monotonic time): what it could not read becomes a problem, not a hang.
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    robot = robot_check(title, html, url)
    if robot == "certain":
        return PageInfo(problems=[CAPTCHA_PROBLEM])
    found = [
        read_with(from_json_ld, tree, deadline, "JSON-LD"),
        read_with(from_microdata, tree, deadline, "microdata"),
        from_opengraph(tree),
        Found(name=title),
    ]
    info = combine(found, url)
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
    info.availability = next(
        (stock for f in sources if (stock := availability_of(f.availability)) != "unknown"), "unknown"
    )

    priced = [f for f in sources if f.price is not None and str(f.price).strip()]
    any_currency = next((c for f in sources if (c := _currency_code(f.currency))), None)
    unusable = []
    for found in priced:
        price, symbol = read_price(found.price)
        if price is None:
            text = str(found.price).strip()
            unusable.append(text if len(text) <= MAX_PRICE_TEXT else text[:MAX_PRICE_TEXT] + "...")
            continue
        info.price = price
        info.currency = _currency_code(found.currency) or any_currency or symbol
        break
    if info.name is None:
        info.problems.append("no product name found on the page")
    if info.price is None and unusable:
        why = "zero is not a price" if _ZERO.fullmatch(unusable[0]) else "at most 2 decimals"
        info.problems.append(f"the page's price {unusable[0]!r} is not a usable price ({why})")
    elif info.price is None:
        info.problems.append("no price found on the page")
    elif info.currency is None:
        info.problems.append("the page's price has no currency")
    return info


def availability_of(text: object) -> str:
    """What a page's availability says, as history.AVAILABILITY names it ("unknown" when unclear).

    "https://schema.org/InStock", "http://schema.org/OutOfStock", "InStock", "in stock", "oos", ...
    """
    if not isinstance(text, str):
        return "unknown"
    word = text.strip().rsplit("/", 1)[-1].rsplit(":", 1)[-1][:40]
    return _STOCK.get(re.sub(r"[^a-z]", "", word.lower()), "unknown")


def read_price(value: str | Decimal | int) -> tuple[Decimal | None, str | None]:
    """A page's price in cents (None when unusable) and the currency its symbol names (if one).

    Never raises, unlike money.parse_price (what people type): a page's bad price
    is a problem to report, not an error. Machine-readable values ("1299.00",
    1299) are read as written. Text ("1.299,00 €") goes through price-parser.
    More than two decimal places is refused, not rounded: a page's "19.999" is
    more likely a misread than a price of 19.999.
    """
    symbol = None
    if isinstance(value, bool):
        return None, None
    if isinstance(value, (int, Decimal)):
        amount: Decimal | None = Decimal(value)
    else:
        text = value.strip()
        # price-parser takes quadratic time (100,000 characters: a minute); a price is short.
        if len(text) > MAX_PRICE_TEXT or _NOT_A_PRICE.search(text):
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
