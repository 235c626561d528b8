"""`ishop4u product ...` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from ishop4u_cli.services import pages

PRODUCT_KEYS = [
    "id",
    "name",
    "price",
    "currency",
    "image_url",
    "affiliate_link",
    "affiliate_source_id",
    "source",
    "url",
]


def add(cli, url, *args):
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test if anything tries to read a page."""

    def refuse(url, *, timeout=10.0):
        raise AssertionError(f"a page was fetched: {url}")

    monkeypatch.setattr(pages, "fetch_page_info", refuse)


def test_add_json_shape_and_source_from_host(cli, signed_in, no_network):
    r = cli(
        "product",
        "add",
        "https://www.amazon.de/Coffee-Grinder/dp/B000000001/ref=sr_1_2?keywords=grinder&utm_source=x#reviews",
        "--name",
        "Coffee grinder",
        "--price",
        "19.99",
        "--currency",
        "eur",
        "--image",
        "https://img.example/grinder.jpg",
        "--json",
    )
    assert r.exit_code == 0, r
    p = json.loads(r.stdout)
    assert list(p) == PRODUCT_KEYS
    assert p["name"] == "Coffee grinder"
    assert p["price"] == "19.99"
    assert p["currency"] == "EUR"
    assert p["image_url"] == "https://img.example/grinder.jpg"
    assert p["source"] == "Amazon"
    assert isinstance(p["affiliate_source_id"], int)
    assert p["url"] == "https://www.amazon.de/dp/B000000001"
    assert "utm_source" not in p["affiliate_link"] and "#" not in p["affiliate_link"]
    assert f"Added product {p['id']}" in r.stderr
    shown = json.loads(cli("product", "show", str(p["id"]), "--json").stdout)
    assert shown == p


def test_unknown_host_has_no_source_and_a_name_from_the_url(cli, signed_in):
    p = add(cli, "https://shop.example/collections/all/products/blue-ceramic-mug?utm_medium=x")
    assert p["source"] is None and p["affiliate_source_id"] is None
    assert p["name"] == "blue ceramic mug"
    assert p["price"] is None
    assert p["currency"] == "USD"
    q = add(cli, "https://www.ebay.com/itm/1234567890")
    assert q["source"] == "eBay"
    assert q["name"] == "ebay.com product 1234567890"
    assert add(cli, "https://bare.example/")["name"] == "bare.example product"


def test_same_page_is_stored_once(cli, signed_in, db_rows, no_network):
    first = add(cli, "https://www.amazon.com/dp/B000000009?ref_=abc&utm_campaign=x", "--price", "5")
    before = db_rows()
    r = cli(
        "product",
        "add",
        "https://www.amazon.com/Thing/dp/B000000009/?pd_rd_w=zz#top",
        "--price",
        "6",
        "--no-fetch",
        "--json",
    )
    assert r.exit_code == 0, r
    again = json.loads(r.stdout)
    assert again == first
    assert f"Product {first['id']} is already stored" in r.stderr
    assert "ignoring --price" in r.stderr and f"product edit {first['id']}" in r.stderr
    assert db_rows() == before
    # Without options there is no note about ignoring, and no page is fetched for a stored product.
    r = cli("product", "add", "https://www.amazon.com/dp/B000000009")
    assert r.exit_code == 0 and "already stored" in r.stderr and "ignoring" not in r.stderr


def test_add_reads_the_page_when_something_is_missing(cli, signed_in, monkeypatch):
    seen = []

    def fake_page(url, *, timeout=10.0):
        seen.append(url)
        return pages.PageInfo(
            name="Page name",
            price=Decimal("12.50"),
            currency="GBP",
            image_url="https://img.example/p.png",
            problems=["no JSON-LD block"],
        )

    monkeypatch.setattr(pages, "fetch_page_info", fake_page)
    r = cli("product", "add", "https://shop.example/p/1", "--json")
    assert r.exit_code == 0, r
    p = json.loads(r.stdout)
    assert (p["name"], p["price"], p["currency"], p["image_url"]) == (
        "Page name",
        "12.50",
        "GBP",
        "https://img.example/p.png",
    )
    assert "Warning: https://shop.example/p/1: no JSON-LD block" in r.stderr
    # The command line wins over the page; the page's currency comes only with its price.
    r = cli("product", "add", "https://shop.example/p/2", "--price", "3", "--json")
    p = json.loads(r.stdout)
    assert (p["name"], p["price"], p["currency"]) == ("Page name", "3.00", "USD")
    # --no-fetch, or both name and price given: no page.
    add(cli, "https://shop.example/p/3")
    assert cli("product", "add", "https://shop.example/p/4", "--name", "n", "--price", "1").exit_code == 0
    assert seen == ["https://shop.example/p/1", "https://shop.example/p/2"]


def test_a_failing_page_never_loses_the_add(cli, signed_in, monkeypatch):
    monkeypatch.setattr(
        pages,
        "fetch_page_info",
        lambda url, *, timeout=10.0: pages.PageInfo(
            price=Decimal("0.001"), currency="dollars", problems=["timed out"]
        ),
    )
    r = cli("product", "add", "https://shop.example/items/red-kettle", "--json")
    assert r.exit_code == 0, r
    p = json.loads(r.stdout)
    assert p["name"] == "red kettle" and p["price"] is None
    assert "timed out" in r.stderr and "price is unusable" in r.stderr


def test_default_currency_from_the_environment(cli, signed_in, db_rows):
    p = add(cli, "https://shop.example/a", "--price", "1")
    assert p["currency"] == "USD"
    r = cli(
        "product", "add", "https://shop.example/b", "--no-fetch", "--json", env={"ISHOP4U_CURRENCY": "eur"}
    )
    assert json.loads(r.stdout)["currency"] == "EUR"
    before = db_rows()
    r = cli("product", "add", "https://shop.example/c", "--no-fetch", env={"ISHOP4U_CURRENCY": "euros"})
    assert r.exit_code == 2 and "ISHOP4U_CURRENCY" in r.stderr
    assert db_rows() == before


BAD_ADDS = [
    (["https://shop.example/x", "--price", "-1"], "'-1'"),
    (["https://shop.example/x", "--price", "NaN"], "'NaN'"),
    (["https://shop.example/x", "--price", "Infinity"], "'Infinity'"),
    (["https://shop.example/x", "--price", "1e400"], "'1e400'"),
    (["https://shop.example/x", "--price", "0.001"], "'0.001'"),
    (["https://shop.example/x", "--price", "abc"], "'abc'"),
    (["https://shop.example/x", "--price", "100000000.00"], "'100000000.00'"),
    (["https://shop.example/x", "--currency", "usd1"], "'usd1'"),
    (["https://shop.example/x", "--currency", "XYZ"], "'XYZ'"),
    (["ftp://x"], "'ftp://x'"),
    (["not a url"], "'not a url'"),
    (["https://shop.example/x", "--image", "javascript:alert(1)"], "javascript"),
    (["https://shop.example/x", "--name", " "], "name"),
    (["https://shop.example/x", "--name", "n" * 256], "255"),
]


@pytest.mark.parametrize(("args", "named"), BAD_ADDS)
def test_bad_input_is_a_usage_error_and_writes_nothing(cli, db_rows, no_network, args, named):
    before = db_rows()
    r = cli("product", "add", *args)
    assert r.exit_code == 2, r
    assert r.stderr.startswith("Error: ") and named in r.stderr
    assert db_rows() == before


def test_unknown_source_is_not_found(cli, signed_in, db_rows):
    before = db_rows()
    r = cli("product", "add", "https://shop.example/x", "--no-fetch", "--source", "Nowhere")
    assert r.exit_code == 3 and "'Nowhere'" in r.stderr
    assert db_rows() == before
    p = add(cli, "https://shop.example/y", "--source", "ETSY")
    assert p["source"] == "Etsy"


def test_list_search_and_source(cli, signed_in):
    add(cli, "https://www.etsy.com/listing/1/a", "--name", "Blue MUG", "--price", "10")
    add(cli, "https://www.etsy.com/listing/2/b", "--name", "[sale] mug")
    add(cli, "https://www.ebay.com/itm/3", "--name", "100% cotton_shirt", "--price", "7.5")
    add(cli, "https://shop.example/4", "--name", "Teapot")

    def names(*args):
        r = cli("product", "list", "--json", *args)
        assert r.exit_code == 0, r
        return [p["name"] for p in json.loads(r.stdout)["products"]]

    assert names() == ["Blue MUG", "[sale] mug", "100% cotton_shirt", "Teapot"]
    assert names("--search", "mug") == ["Blue MUG", "[sale] mug"]
    assert names("--search", "MUG", "--source", "etsy") == ["Blue MUG", "[sale] mug"]
    assert names("--source", "ebay") == ["100% cotton_shirt"]
    assert names("--search", "%") == ["100% cotton_shirt"]  # LIKE wildcards are literal
    assert names("--search", "_") == ["100% cotton_shirt"]
    assert names("--search", "nothing") == []
    assert cli("product", "list", "--source", "nope").exit_code == 3

    table = cli("product", "list")
    assert table.exit_code == 0
    assert "[sale] mug" in table.stdout  # printed literally, not eaten as markup
    assert "no price" in table.stdout and "10.00 USD" in table.stdout
    assert "\x1b[" not in table.stdout


def test_show_text_and_unknown(cli, signed_in):
    p = add(cli, "https://www.etsy.com/listing/7/x", "--name", "[b]bold[/b]", "--price", "2")
    r = cli("product", "show", str(p["id"]))
    assert r.exit_code == 0, r
    assert "[b]bold[/b]" in r.stdout and "2.00 USD" in r.stdout and "in carts:       0" in r.stdout
    for cmd in (["show", "999999"], ["edit", "999999", "--name", "x"], ["remove", "999999", "--yes"]):
        r = cli("product", *cmd)
        assert r.exit_code == 3, (cmd, r)
        assert "999999" in r.stderr
    assert cli("product", "show", "abc").exit_code == 2


def test_edit(cli, signed_in, db_rows):
    cli("source", "edit", "amazon", "--tag", "mine-20")
    p = add(cli, "https://www.amazon.com/dp/B0000000AA", "--price", "3.50")
    assert "tag=mine-20" in p["affiliate_link"]

    r = cli(
        "product",
        "edit",
        str(p["id"]),
        "--name",
        "Renamed",
        "--price",
        "4",
        "--currency",
        "gbp",
        "--image",
        "https://img.example/i.png",
        "--json",
    )
    assert r.exit_code == 0, r
    e = json.loads(r.stdout)
    assert (e["name"], e["price"], e["currency"], e["image_url"]) == (
        "Renamed",
        "4.00",
        "GBP",
        "https://img.example/i.png",
    )
    assert "name, price, currency, image" in r.stderr

    e = json.loads(cli("product", "edit", str(p["id"]), "--price", "", "--image", "", "--json").stdout)
    assert e["price"] is None and e["image_url"] is None

    # Another source: the link we built is rebuilt without the Amazon tag.
    e = json.loads(cli("product", "edit", str(p["id"]), "--source", "etsy", "--json").stdout)
    assert e["source"] == "Etsy" and "tag=" not in e["affiliate_link"]
    e = json.loads(cli("product", "edit", str(p["id"]), "--source", "", "--json").stdout)
    assert e["source"] is None

    # Another page: a new link and the source of its host.
    e = json.loads(
        cli(
            "product", "edit", str(p["id"]), "--url", "https://www.amazon.com/dp/B0000000BB?psc=1", "--json"
        ).stdout
    )
    assert e["url"] == "https://www.amazon.com/dp/B0000000BB"
    assert e["source"] == "Amazon" and "tag=mine-20" in e["affiliate_link"]

    other = add(cli, "https://shop.example/other")
    before = db_rows()
    r = cli("product", "edit", str(other["id"]), "--url", "https://www.amazon.com/dp/B0000000BB")
    assert r.exit_code == 6 and str(p["id"]) in r.stderr
    for args in (["--price", "-1"], ["--currency", "XYZ"], ["--url", "ftp://x"], []):
        assert cli("product", "edit", str(other["id"]), *args).exit_code == 2, args
    assert cli("product", "edit", str(other["id"]), "--source", "nope").exit_code == 3
    assert db_rows() == before


def test_remove_asks_first_and_leaves_carts(cli, db_rows):
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    p = add(cli, "https://shop.example/gone", "--price", "1")
    keep = add(cli, "https://shop.example/kept", "--price", "2")
    assert cli("cart", "add", str(p["id"]), str(keep["id"]), "--qty", "2").exit_code == 0

    before = db_rows()
    r = cli("product", "remove", str(p["id"]))
    assert r.exit_code == 2 and "--yes" in r.stderr and "leaving 1 cart" in r.stderr
    assert db_rows() == before

    r = cli("product", "remove", str(p["id"]), "--yes")
    assert r.exit_code == 0, r
    assert f"Removed product {p['id']}" in r.stderr and "it left 1 cart" in r.stderr
    after = db_rows()
    assert [row[0] for row in after["products"]] == [keep["id"]]
    assert len(after["cart_items"]) == 1
    items = json.loads(cli("cart", "list", "--json").stdout)["items"]
    assert [i["product_id"] for i in items] == [keep["id"]]


def test_concurrent_insert_of_the_same_page_returns_the_stored_row(signed_in, engine, monkeypatch):
    """The ON CONFLICT path: another writer stored the page between our check and our insert."""
    from ishop4u_cli import db
    from ishop4u_cli.services import products

    new = products.parse_new_product("https://shop.example/race", name="Race", price="1")
    with db.session_scope(engine) as session:
        first = products.add_product(session, new)
    real = products.find_by_url
    calls: list[str] = []

    def first_misses(session, url):
        calls.append(url)
        return None if len(calls) == 1 else real(session, url)

    monkeypatch.setattr(products, "find_by_url", first_misses)
    with db.session_scope(engine) as session:
        again = products.add_product(session, new)
    assert again.created is False and again.product.id == first.product.id
    assert len(calls) == 2  # the pre-check missed; the insert did nothing; the row was read back


def test_piped_output_has_no_escape_codes_and_whole_links(cli, signed_in, run_ishop4u):
    long_url = (
        "https://shop.example/products/" + "-".join(["very-long-product-name"] * 12) + "?variant=123456789"
    )
    p = add(cli, long_url, "--name", "[sale] mug", "--price", "9.99")
    for env in ({}, {"NO_COLOR": "1"}):
        r = run_ishop4u("--db", cli.db_url, "product", "list", env=env)
        assert r.exit_code == 0, r
        assert "\x1b[" not in r.stdout
        assert p["affiliate_link"] in r.stdout
        assert "…" not in r.stdout
        assert "[sale] mug" in r.stdout


def test_control_characters_never_reach_the_terminal(cli, signed_in):
    p = add(cli, "https://shop.example/esc", "--name", "red\x1b[31m mug\nline two\x07")
    assert p["name"] == "red [31m mug line two"
    r = cli("product", "show", str(p["id"]))
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout


@pytest.mark.parametrize(
    ("price", "hint"),
    [
        ("1,99", "; did you mean 1.99?"),
        ("1.299,50", "; did you mean 1299.50?"),
        ("$5", "; did you mean --price 5 --currency USD?"),
        ("5 €", "; did you mean --price 5 --currency EUR?"),
        ("GBP 12,50", "; did you mean --price 12.50 --currency GBP?"),
        ("abc", ""),
        ("-1", ""),
        ("12 34", ""),
    ],
)
def test_a_price_written_a_known_wrong_way_gets_a_hint(cli, db_rows, price, hint):
    before = db_rows()
    for args in (("product", "add", "https://shop.example/x"), ("product", "edit", "1")):
        r = cli(*args, "--price", price, "--no-fetch" if args[1] == "add" else "--name=x")
        assert r.exit_code == 2, r  # the price is checked before the product is looked up
        assert r.stderr == (
            f"Error: not a valid price: {price!r} "
            f"(a number from 0 to 99999999.99 with at most two decimal places){hint}\n"
        )
    assert db_rows() == before
