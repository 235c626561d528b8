"""What a refresh reads from a page: stock from each kind of markup, Retry-After, and strict prices.

Pure functions over HTML (no network, no database), as page_data.read_page and pages.retry_after see them.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest

from ishop4u_cli.services import page_data, pages


@pytest.mark.parametrize(
    ("written", "stock"),
    [
        ("https://schema.org/InStock", "in_stock"),
        ("http://schema.org/OutOfStock", "out_of_stock"),
        ("InStock", "in_stock"),
        ("schema:SoldOut", "out_of_stock"),
        ("https://schema.org/InStoreOnly", "in_stock"),
        ("https://schema.org/OnlineOnly", "in_stock"),
        ("https://schema.org/LimitedAvailability", "in_stock"),
        ("https://schema.org/PreOrder", "preorder"),
        ("https://schema.org/PreSale", "preorder"),
        ("https://schema.org/BackOrder", "preorder"),
        ("https://schema.org/Discontinued", "discontinued"),
        ("in stock", "in_stock"),
        ("instock", "in_stock"),
        ("oos", "out_of_stock"),
        ("out of stock", "out_of_stock"),
        ("preorder", "preorder"),
        ("pending", "preorder"),
        ("discontinued", "discontinued"),
        ("ask the shop", "unknown"),
        ("", "unknown"),
    ],
)
def test_availability_words(written, stock):
    assert page_data.availability_of(written) == stock


def _json_ld(offer: dict) -> str:
    product = {"@context": "https://schema.org", "@type": "Product", "name": "Mug", "offers": offer}
    return f'<html><head><script type="application/ld+json">{json.dumps(product)}</script></head></html>'


@pytest.mark.parametrize(
    ("html", "stock"),
    [
        (
            _json_ld({"price": "5.00", "priceCurrency": "EUR", "availability": "https://schema.org/InStock"}),
            "in_stock",
        ),
        (
            _json_ld({"price": "5.00", "priceCurrency": "EUR", "availability": {"@id": "schema:OutOfStock"}}),
            "out_of_stock",
        ),
        (
            _json_ld(
                {
                    "@type": "AggregateOffer",
                    "offers": [{"price": "5.00", "priceCurrency": "EUR", "availability": "PreOrder"}],
                }
            ),
            "preorder",
        ),
        (_json_ld({"price": "5.00", "priceCurrency": "EUR"}), "unknown"),
        (
            '<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Mug</span>'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<meta itemprop="price" content="5.00"><meta itemprop="priceCurrency" content="EUR">'
            '<link itemprop="availability" href="https://schema.org/OutOfStock"></div></div>',
            "out_of_stock",
        ),
        (
            '<span itemprop="price" content="5.00"></span><meta itemprop="priceCurrency" content="EUR">'
            '<meta itemprop="availability" content="https://schema.org/Discontinued">',
            "discontinued",
        ),
        (
            '<meta property="og:title" content="Mug"><meta property="product:price:amount" content="5.00">'
            '<meta property="product:price:currency" content="EUR">'
            '<meta property="product:availability" content="oos">',
            "out_of_stock",
        ),
        ('<meta property="og:availability" content="in stock"><title>Mug</title>', "in_stock"),
    ],
)
def test_stock_from_json_ld_microdata_and_opengraph(html, stock):
    assert page_data.read_page(html, "https://shop.example/mug").availability == stock


@pytest.mark.parametrize(
    ("price", "problem"),
    [
        ("0", "the page's price '0' is not a usable price (zero is not a price)"),
        ("0.00", "the page's price '0.00' is not a usable price (zero is not a price)"),
        ("€0,00", "the page's price '€0,00' is not a usable price (zero is not a price)"),
    ],
)
def test_a_price_of_zero_is_not_a_price(price, problem):
    info = page_data.read_page(_json_ld({"price": price, "priceCurrency": "EUR"}), "https://shop.example/")
    assert (info.price, info.problems) == (None, [problem])


def test_retry_after_in_seconds_or_as_a_date():
    assert pages.retry_after("120") == 120
    assert pages.retry_after(" 0 ") == 0
    now = time.time()
    assert 29 <= pages.retry_after(formatdate(now + 30, usegmt=True), now=now) <= 31
    assert pages.retry_after(formatdate(now - 30, usegmt=True), now=now) == 0  # past: now
    assert pages.retry_after("soon") is None
    assert pages.retry_after("-5") is None
    assert pages.retry_after(None) is None
