"""Money: prices as Decimal from the command line to the output, and ISO 4217 currencies.

Prices are parsed strictly and never rounded or clipped: a value the database
cannot hold exactly (DECIMAL(10,2)) is refused. SQLite keeps NUMERIC as REAL,
so every price read back goes through `from_db`, and sums are made here in
Python, never with SUM() in SQL.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from ishop4u_cli import settings
from ishop4u_cli.errors import UsageError

CENT = Decimal("0.01")
MAX_PRICE = Decimal("99999999.99")  # DECIMAL(10,2)

# Plain decimal notation only: no sign, exponent, NaN, Infinity, underscores or
# thousands separators. "19", "19.9", "19.99", ".5" and "0.100" pass the pattern;
# the value checks below refuse what is not a whole number of cents.
_PRICE_TEXT = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")

# Active ISO 4217 codes (list one, 2025), less precious metals (XAU, XAG, XPD,
# XPT), bond-market units (XBA-XBD), the SDR (XDR), XSU, XUA, and the codes for
# testing (XTS) and "no currency" (XXX). Codes being replaced (ANG by XCG,
# ZWL by ZWG, SLL by SLE) are kept so older prices still read. Python has no
# list of its own, and a dependency (pycountry) would bring megabytes of locale
# data for these three-letter codes.
CURRENCIES: frozenset[str] = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "ZWL",
    ]
)

PRICE_RULE = "a number from 0 to 99999999.99 with at most two decimal places"


def parse_price(text: str) -> Decimal:
    """TEXT as a price in cents: '19.99' -> Decimal('19.99'). UsageError naming it otherwise."""
    raw = text.strip()
    if not _PRICE_TEXT.fullmatch(raw):
        raise UsageError(f"not a valid price: {text!r} ({PRICE_RULE}){_price_hint(raw)}")
    try:
        value = Decimal(raw)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise UsageError(f"not a valid price: {text!r} ({PRICE_RULE})") from None
    return _checked(value, shown=text)


# Written before or after the amount: '$5', '5 €', 'US$5'. '$' is taken as USD, as most stores mean it.
_SYMBOLS = {"US$": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}


def _price_hint(raw: str) -> str:
    """For a price written in a known wrong way ('1,99', '$5', '5 EUR'), what it probably means."""
    text, currency = raw, None
    for symbol, code in _SYMBOLS.items():
        if text.startswith(symbol) or text.endswith(symbol):
            text, currency = text.removeprefix(symbol).removesuffix(symbol).strip(), code
            break
    else:
        coded = re.fullmatch(r"([A-Za-z]{3})?\s*([\d.,]+)\s*([A-Za-z]{3})?", text)
        code = coded and (coded.group(1) or coded.group(3) or "").upper()
        if coded and code in CURRENCIES and not (coded.group(1) and coded.group(3)):
            text, currency = coded.group(2), code
    number = _as_decimal_text(text)
    if number is None:
        return ""
    try:
        _checked(Decimal(number), shown=number)
    except UsageError:
        return ""
    if currency:
        return f"; did you mean --price {number} --currency {currency}?"
    return f"; did you mean {number}?" if number != raw else ""


def _as_decimal_text(text: str) -> str | None:
    """'1,99' -> '1.99', '1,299.50' -> '1299.50', '1.299,50' -> '1299.50'; None when unsure."""
    if _PRICE_TEXT.fullmatch(text):
        return text
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d{1,2})?", text):  # thousands with commas
        return text.replace(",", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d{1,2})?", text):  # thousands with dots, a decimal comma
        return text.replace(".", "").replace(",", ".")
    if re.fullmatch(r"\d+,\d{1,2}", text):  # a decimal comma
        return text.replace(",", ".")
    return None


def check_price(value: Decimal) -> Decimal:
    """A Decimal from elsewhere (a page, an import) held to the same rule as typed prices."""
    if not isinstance(value, Decimal):
        raise UsageError(f"not a valid price: {value!r} ({PRICE_RULE})")
    return _checked(value, shown=str(value))


def _checked(value: Decimal, *, shown: str) -> Decimal:
    if not value.is_finite() or (value.is_signed() and value != 0) or value > MAX_PRICE:
        raise UsageError(f"not a valid price: {shown!r} ({PRICE_RULE})")
    cents = value.quantize(CENT)
    if cents != value:  # more than two decimal places: refuse, never round
        raise UsageError(f"not a valid price: {shown!r} ({PRICE_RULE})")
    return abs(cents)  # "-0" is 0


def from_db(value: object) -> Decimal | None:
    """A price read from the database, exact in cents (SQLite hands back a REAL)."""
    if value is None:
        return None
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as this float
    return Decimal(value).quantize(CENT)  # type: ignore[arg-type]


def format_price(value: Decimal | None) -> str | None:
    """'19.99' for JSON and tables; None for no price."""
    return None if value is None else f"{value.quantize(CENT):f}"


def format_amount(value: Decimal, currency: str) -> str:
    """'19.99 USD' for people."""
    return f"{value.quantize(CENT):,f} {currency}"


def parse_currency(text: str) -> str:
    """An ISO 4217 code, upper-cased ('usd' -> 'USD'); UsageError naming it otherwise."""
    code = text.strip().upper()
    if code not in CURRENCIES:
        raise UsageError(f"not an ISO 4217 currency code: {text!r} (for example USD, EUR, GBP)")
    return code


def default_currency() -> str:
    """The currency for new products: $ISHOP4U_CURRENCY, else USD."""
    code = settings.default_currency()
    if code not in CURRENCIES:
        raw = os.environ.get(settings.ENV_CURRENCY, "")
        raise UsageError(
            f"{settings.ENV_CURRENCY}={raw!r} is not an ISO 4217 currency code "
            "(set it to one such as USD or EUR, or unset it)"
        )
    return code


def totals(amounts: Iterable[tuple[str, Decimal]]) -> dict[str, Decimal]:
    """Sum (currency, amount) pairs per currency, in Decimal; currencies in sorted order."""
    sums: dict[str, Decimal] = {}
    for currency, amount in amounts:
        sums[currency] = sums.get(currency, Decimal("0.00")) + amount
    return {code: sums[code].quantize(CENT) for code in sorted(sums)}
