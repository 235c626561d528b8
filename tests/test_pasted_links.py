"""What users paste, beyond network links (issue 10): credentials in URLs, regional stores'
currencies, stores the user added, names made from URLs. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest

from ishop4u_cli import stores
from ishop4u_cli.services import products as products_service


def add(cli, url: str, *args: str, env: dict[str, str] | None = None) -> dict:
    r = cli("product", "add", url, "--no-fetch", "--json", *args, env=env)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


# ---------------------------------------------------------------- credentials: refused, never shown

SECRET = "s3cr3t-pw"
WITH_CREDENTIALS = [
    f"https://user:{SECRET}@shop.example/p/1",
    f"https://{SECRET}@shop.example/p/1",
    f"http://user:{SECRET}@www.amazon.com/dp/B08N5WRWNW",
    "https://www.awin1.com/cread.php?awinmid=1&awinaffid=2&ued="
    + quote(f"https://user:{SECRET}@www.etsy.com/listing/123456", safe=""),
    f"https://www.anrdoezrs.net/links/1/type/dlg/https://user:{SECRET}@shop.example/p/1",
]


@pytest.mark.parametrize("url", WITH_CREDENTIALS)
def test_a_url_with_credentials_is_refused_and_never_printed(cli, signed_in, db_rows, url):
    before = db_rows()
    for args in (
        ("product", "add", url, "--no-fetch"),
        ("product", "add", "https://shop.example/p/2", "--image", url, "--no-fetch"),
        ("source", "add", "Some Store", "--base-url", url),
    ):
        r = cli(*args)
        assert r.exit_code == 2, r
        assert "user name or password" in r.stderr
        assert SECRET not in r.stdout + r.stderr
    assert db_rows() == before


def test_an_import_row_with_credentials_is_refused_and_not_printed(cli, signed_in, db_rows, tmp_path: Path):
    data = tmp_path / "p.csv"
    data.write_text(f"url\nhttps://shop.example/ok\n{WITH_CREDENTIALS[0]}\n")
    before = db_rows()
    r = cli("product", "import", str(data))
    assert r.exit_code == 2, r
    assert "row 2" in r.stderr and SECRET not in r.stderr
    assert db_rows() == before


def test_an_at_sign_after_the_host_is_no_credential():
    url = "https://shop.example/p/1?email=a@b.example"
    assert stores.check_url(url) == url


# ---------------------------------------------------------------- regional stores imply their currency


@pytest.mark.parametrize(
    ("url", "currency"),
    [
        ("https://www.amazon.co.uk/dp/B08N5WRWNW", "GBP"),
        ("https://www.ebay.co.uk/itm/256789012345", "GBP"),
        ("https://www.amazon.de/dp/B08N5WRWNW", "EUR"),
        ("https://www.amazon.fr/dp/B08N5WRWNW", "EUR"),
        ("https://www.amazon.it/dp/B08N5WRWNW", "EUR"),
        ("https://www.amazon.es/dp/B08N5WRWNW", "EUR"),
        ("https://www.amazon.nl/dp/B08N5WRWNW", "EUR"),
        ("https://www.ebay.de/itm/256789012345", "EUR"),
        ("https://www.ebay.fr/itm/256789012345", "EUR"),
        ("https://www.ebay.it/itm/256789012345", "EUR"),
        ("https://www.ebay.es/itm/256789012345", "EUR"),
        ("https://www.amazon.co.jp/dp/B08N5WRWNW", "JPY"),
        ("https://www.amazon.ca/dp/B08N5WRWNW", "CAD"),
        ("https://www.amazon.com.au/dp/B08N5WRWNW", "AUD"),
        ("https://www.amazon.in/dp/B08N5WRWNW", "INR"),
        ("https://www.amazon.com.mx/dp/B08N5WRWNW", "MXN"),
        ("https://www.amazon.com.br/dp/B08N5WRWNW", "BRL"),
        ("https://smile.amazon.co.uk/dp/B08N5WRWNW", "GBP"),
        ("https://www.walmart.ca/en/ip/kettle/6000201234567", "CAD"),
        # Through a network link: the currency of the store it leads to.
        (
            "https://prf.hn/click/camref:1/destination:"
            + quote("https://www.amazon.de/dp/B08N5WRWNW", safe=""),
            "EUR",
        ),
    ],
)
def test_a_regional_store_implies_its_currency(cli, signed_in, url, currency):
    doc = add(cli, url, "--price", "89.99", env={"ISHOP4U_CURRENCY": "CHF"})
    assert (doc["price"], doc["currency"]) == ("89.99", currency)


def test_currency_order_given_then_store_then_setting_then_usd(cli, signed_in):
    assert add(cli, "https://www.amazon.co.uk/dp/B000000001", "--currency", "EUR")["currency"] == "EUR"
    assert add(cli, "https://www.amazon.co.uk/dp/B000000002")["currency"] == "GBP"
    # A store that sells in many currencies (or any other shop): the setting, else USD.
    assert (
        add(cli, "https://www.etsy.com/listing/123456", env={"ISHOP4U_CURRENCY": "SEK"})["currency"] == "SEK"
    )
    assert add(cli, "https://shop.example/p/1", env={"ISHOP4U_CURRENCY": "SEK"})["currency"] == "SEK"
    assert add(cli, "https://shop.example/p/2")["currency"] == "USD"


def test_the_pages_currency_wins_over_the_stores():
    new = products_service.parse_new_product("https://www.amazon.co.uk/dp/B08N5WRWNW", price="10")
    assert products_service.product_values(new, None, default_currency="USD")["currency"] == "GBP"
    from dataclasses import replace

    read = replace(new, currency="EUR")  # what with_page keeps from a page that says EUR
    assert products_service.product_values(read, None, default_currency="USD")["currency"] == "EUR"


def test_import_rows_without_a_currency_take_their_stores(cli, signed_in, tmp_path: Path):
    data = tmp_path / "p.csv"
    data.write_text(
        "url,price,currency\n"
        "https://www.amazon.co.uk/dp/B000000011,1.00,\n"
        "https://www.amazon.co.uk/dp/B000000012,2.00,EUR\n"
        "https://www.ebay.de/itm/256789012345,3.00,\n"
        "https://shop.example/p/1,4.00,\n"
    )
    r = cli("product", "import", str(data), env={"ISHOP4U_CURRENCY": "CHF"})
    assert r.exit_code == 0, r
    listed = json.loads(cli("product", "list", "--json").stdout)["products"]
    assert [p["currency"] for p in listed] == ["GBP", "EUR", "EUR", "CHF"]


# ---------------------------------------------------------------- stores the user added, by host


def test_a_store_the_user_added_is_recognised_by_host(cli, signed_in):
    before = add(cli, "https://somestore.example/p/1")
    assert before["source"] is None
    r = cli("source", "add", "Some Store", "--base-url", "https://somestore.example")
    assert r.exit_code == 0, r
    assert add(cli, "https://somestore.example/p/2")["source"] == "Some Store"
    assert add(cli, "https://www.somestore.example/p/3")["source"] == "Some Store"
    assert add(cli, "https://shop.somestore.example/products/tee?variant=1")["source"] == "Some Store"
    assert add(cli, "https://notsomestore.example/p/4")["source"] is None
    # Through a network link, and with --source still winning.
    awin = "https://www.awin1.com/cread.php?awinmid=1&ued=" + quote("https://somestore.example/p/5", safe="")
    assert add(cli, awin)["source"] == "Some Store"
    assert add(cli, "https://somestore.example/p/6", "--source", "etsy")["source"] == "Etsy"
    # Products stored before keep their source.
    shown = json.loads(cli("product", "show", str(before["id"]), "--json").stdout)
    assert shown["source"] is None


def test_a_www_base_url_and_the_built_in_stores(cli, signed_in):
    assert cli("source", "add", "Shop", "--base-url", "https://www.shop.example/home").exit_code == 0
    assert add(cli, "https://shop.example/p/1")["source"] == "Shop"
    # The seeded stores are found as before (by their base URL or their api name).
    assert add(cli, "https://www.amazon.com/dp/B08N5WRWNW")["source"] == "Amazon"
    assert add(cli, "https://www.amazon.de/dp/B08N5WRWNW")["source"] == "Amazon"
    assert add(cli, "https://amzn.to/3abcdef")["source"] == "Amazon"


def test_import_files_rows_under_the_store_the_user_added(cli, signed_in, tmp_path: Path):
    assert cli("source", "add", "Some Store", "--base-url", "https://somestore.example").exit_code == 0
    data = tmp_path / "p.csv"
    rows = [f"https://{www}somestore.example/p/{n}" for n in range(50) for www in ("", "www.")]
    data.write_text(
        "url\n" + "\n".join(rows) + "\nhttps://www.etsy.com/listing/123456\nhttps://other.example/p\n"
    )
    r = cli("product", "import", str(data))
    assert r.exit_code == 0, r
    listed = json.loads(cli("product", "list", "--json").stdout)["products"]
    assert [p["source"] for p in listed] == ["Some Store"] * 100 + ["Etsy", None]


def test_product_edit_url_moves_to_the_store_of_the_new_host(cli, signed_in):
    assert cli("source", "add", "Some Store", "--base-url", "https://somestore.example").exit_code == 0
    doc = add(cli, "https://other.example/p/1")
    r = cli("product", "edit", str(doc["id"]), "--url", "https://www.somestore.example/p/1", "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["source"] == "Some Store"


# ---------------------------------------------------------------- names made from URLs


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://shop.example/products/linen-shirt?variant=1", "linen shirt"),
        ("https://shop.example/products/shirt?variant=1", "shirt"),
        ("https://shop.example/collections/summer/products/shirt", "shirt"),
        ("https://shop.example/products/12345?variant=1", "shop.example product 1"),
        ("https://smile.amazon.com/dp/B08N5WRWNW", "amazon.com product B08N5WRWNW"),
        ("https://smile.amazon.com/Echo-Dot-Speaker/dp/B08N5WRWNW", "Echo Dot Speaker"),
    ],
)
def test_names_made_from_urls_read_like_products(url, name):
    assert products_service.name_from_url(url) == name


def test_a_retired_smile_amazon_link_is_named_and_linked_as_www_amazon(cli, signed_in):
    assert cli("source", "edit", "amazon", "--tag", "mytag-20").exit_code == 0
    doc = add(cli, "https://smile.amazon.com/dp/B08N5WRWNW?ref_=x")
    assert (doc["name"], doc["affiliate_link"]) == (
        "amazon.com product B08N5WRWNW",
        "https://www.amazon.com/dp/B08N5WRWNW?tag=mytag-20",
    )
    # The user's own tagged smile link: kept as given, on the host that still serves it.
    doc = add(cli, "https://smile.amazon.com/dp/B000000001?tag=their-20&psc=1")
    assert doc["affiliate_link"] == "https://www.amazon.com/dp/B000000001?tag=their-20&psc=1"
    assert stores.page_to_read("https://smile.amazon.co.uk/dp/B000000001") == (
        "https://www.amazon.co.uk/dp/B000000001"
    )
