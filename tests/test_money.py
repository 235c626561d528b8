"""Money: strict price parsing, exact cents from the database, sums per currency, ISO 4217 codes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ishop4u_cli import money
from ishop4u_cli.errors import ExitCode, UsageError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", "0.00"),
        ("19.99", "19.99"),
        ("19.9", "19.90"),
        ("19", "19.00"),
        (".5", "0.50"),
        ("0.100", "0.10"),  # exactly ten cents: nothing is rounded
        (" 7.25 ", "7.25"),
        ("99999999.99", "99999999.99"),
    ],
)
def test_parse_price_accepts(text, expected):
    value = money.parse_price(text)
    assert value == Decimal(expected)
    assert money.format_price(value) == expected


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "-0.01",
        "+1",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1e400",
        "1E2",
        "0.001",
        "19.999",
        "abc",
        "",
        " ",
        "1,000.00",
        "1_000",
        "0x10",
        "100000000.00",
        "100000000",
        "9" * 400,
        "19.99 USD",
        "$5",
    ],
)
def test_parse_price_refuses_and_names_the_value(text):
    with pytest.raises(UsageError) as info:
        money.parse_price(text)
    assert repr(text) in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_every_cent_amount_round_trips(cents):
    text = f"{cents // 100}.{cents % 100:02d}"
    value = money.parse_price(text)
    assert value == Decimal(cents) / 100
    assert money.format_price(value) == text


@given(st.text(max_size=30))
def test_any_text_parses_exactly_or_is_refused(text):
    try:
        value = money.parse_price(text)
    except UsageError:
        return
    assert Decimal(0) <= value <= money.MAX_PRICE
    assert value == value.quantize(money.CENT)
    assert value == Decimal(text.strip())  # never rounded or clipped


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_check_price_holds_decimals_to_the_same_rule(value):
    valid = (
        value.is_finite() and Decimal(0) <= value <= money.MAX_PRICE and value == value.quantize(money.CENT)
    )
    if valid:
        assert money.check_price(value) == value
    else:
        with pytest.raises(UsageError):
            money.check_price(value)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [(0.1, "0.10"), (19.99, "19.99"), (0.3, "0.30"), (99999999.99, "99999999.99"), (Decimal("5.5"), "5.50")],
)
def test_from_db_gives_exact_cents(stored, expected):
    assert money.from_db(stored) == Decimal(expected)
    assert str(money.from_db(stored)) == expected


def test_from_db_none():
    assert money.from_db(None) is None


def test_totals_are_exact_and_per_currency():
    lines = [("USD", Decimal("0.10"))] * 3 + [("USD", Decimal("0.20")), ("EUR", Decimal("19.99") * 3)]
    assert money.totals(lines) == {"EUR": Decimal("59.97"), "USD": Decimal("0.50")}
    assert list(money.totals(lines)) == ["EUR", "USD"]
    assert money.format_price(money.totals(lines)["USD"]) == "0.50"


def test_format_amount():
    assert money.format_amount(Decimal("1234.5"), "EUR") == "1,234.50 EUR"
    assert money.format_price(None) is None


@pytest.mark.parametrize(("text", "code"), [("USD", "USD"), ("usd", "USD"), (" eur ", "EUR"), ("JPY", "JPY")])
def test_parse_currency(text, code):
    assert money.parse_currency(text) == code


@pytest.mark.parametrize("text", ["usd1", "XYZ", "US", "", "EURO", "XAU", "XXX", "€"])
def test_parse_currency_refuses(text):
    with pytest.raises(UsageError) as info:
        money.parse_currency(text)
    assert repr(text) in str(info.value)


def test_currency_list_is_iso_4217():
    assert len(money.CURRENCIES) > 150
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in money.CURRENCIES)
    assert {"USD", "EUR", "GBP", "JPY", "CNY", "INR", "AUD", "CAD", "CHF", "MXN", "BRL"} <= money.CURRENCIES


def test_default_currency(monkeypatch):
    assert money.default_currency() == "USD"
    monkeypatch.setenv("ISHOP4U_CURRENCY", "eur")
    assert money.default_currency() == "EUR"
    monkeypatch.setenv("ISHOP4U_CURRENCY", "dollars")
    with pytest.raises(UsageError, match="ISHOP4U_CURRENCY='dollars'"):
        money.default_currency()
