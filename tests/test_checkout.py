"""`ishop4u checkout` and `ishop4u checkout done` through the CLI, on SQLite and PostgreSQL.

The browser is the one thing replaced: `commands.checkout.open_url` records the
links it is given (in-process), or $BROWSER names a recorder script (in a
subprocess at a pseudo-terminal).
"""

from __future__ import annotations

import json
import sys
from urllib.parse import parse_qsl, urlsplit

import pytest
from terminal import run_at_terminal

AMAZON_TAG = "mytag-20"
EPN_CAMPID = "5338000000"
EPN = "mkcid=1&mkrid=711-53200-19255-0&campid=5338000000&toolid=10001&mkevt=1"
ITEM_KEYS = [
    "product_id",
    "name",
    "price",
    "currency",
    "quantity",
    "line_total",
    "affiliate_link",
    "cart_link",
    "price_change",
    "availability",
]
STORE_KEYS = ["source", "items", "subtotals", "unpriced_items", "cart_link", "cart_links"]


def product(cli, url: str, *args: str) -> int:
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["id"]


def in_cart(cli, url: str, qty: int, *args: str) -> int:
    pid = product(cli, url, *args)
    r = cli("cart", "add", str(pid), "--qty", str(qty))
    assert r.exit_code == 0, r
    return pid


def checkout_doc(cli, *args: str) -> dict:
    r = cli("checkout", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


@pytest.fixture
def shop(ann):
    """Ann's cart: two Amazon items (one without a price), an eBay item, a Shopify shirt in EUR."""
    cli = ann
    assert cli("source", "edit", "amazon", "--tag", AMAZON_TAG).exit_code == 0
    assert cli("source", "edit", "ebay", "--tag", EPN_CAMPID).exit_code == 0
    ids = {
        "book": in_cart(
            cli,
            "https://www.amazon.com/Book/dp/B000000001/ref=sr_1_1?utm_source=x",
            3,
            "--name",
            "Book",
            "--price",
            "19.99",
        ),
        "mug": in_cart(cli, "https://www.amazon.com/dp/B000000002?th=1", 1, "--name", "[sale] mug"),
        "lens": in_cart(
            cli,
            "https://www.ebay.com/itm/256789012345?_trksid=p2047675",
            1,
            "--name",
            "Lens 50mm",
            "--price",
            "89.99",
        ),
        "tee": in_cart(
            cli,
            "https://tees.example/products/tee?variant=4242&utm_medium=ig",
            2,
            "--name",
            "Tee",
            "--price",
            "25",
            "--currency",
            "EUR",
        ),
    }
    cli.ids = ids  # type: ignore[attr-defined]
    return cli


def amazon_cart(*pairs: tuple[str, int], domain: str = "amazon.com", tag: str | None = AMAZON_TAG) -> str:
    query = "&".join(f"ASIN.{n}={asin}&Quantity.{n}={qty}" for n, (asin, qty) in enumerate(pairs, start=1))
    return f"https://www.{domain}/gp/aws/cart/add.html?{query}" + (f"&AssociateTag={tag}" if tag else "")


# ---------------------------------------------------------------- what a user sees


def test_text_exactly(shop):
    i = shop.ids
    r = shop("checkout")
    assert r.exit_code == 0, r
    assert r.stderr == ""
    amazon_link = amazon_cart(("B000000001", 3), ("B000000002", 1))
    assert r.stdout.splitlines() == [
        "Amazon: 2 items",
        f"  3 x Book (product {i['book']}): 19.99 USD each, 59.97 USD",
        "      https://www.amazon.com/dp/B000000001?tag=mytag-20",
        f"  1 x [sale] mug (product {i['mug']}): no price",
        "      https://www.amazon.com/dp/B000000002?tag=mytag-20",
        "  Subtotal: 59.97 USD + 1 item without a price",
        "  One link fills your cart at www.amazon.com with 2 items:",
        f"      {amazon_link}",
        "",
        "eBay: 1 item",
        f"  1 x Lens 50mm (product {i['lens']}): 89.99 USD each, 89.99 USD",
        f"      https://www.ebay.com/itm/256789012345?{EPN}",
        "  Subtotal: 89.99 USD",
        "",
        "Other shops: 1 item",
        f"  2 x Tee (product {i['tee']}): 25.00 EUR each, 50.00 EUR",
        "      https://tees.example/products/tee?variant=4242",
        "  Subtotal: 50.00 EUR",
        "  One link fills your cart at tees.example with 1 item:",
        "      https://tees.example/cart/4242:2",
        "",
        "Totals: 50.00 EUR, 149.96 USD",
        "1 item without a price is not in the totals.",
    ]
    assert "\x1b[" not in r.stdout  # no colour codes in a pipe


def test_json_exactly(shop):
    i = shop.ids
    amazon_link = amazon_cart(("B000000001", 3), ("B000000002", 1))
    doc = checkout_doc(shop)
    assert doc == {
        "stores": [
            {
                "source": "Amazon",
                "items": [
                    {
                        "product_id": i["book"],
                        "name": "Book",
                        "price": "19.99",
                        "currency": "USD",
                        "quantity": 3,
                        "line_total": "59.97",
                        "affiliate_link": "https://www.amazon.com/dp/B000000001?tag=mytag-20",
                        "cart_link": amazon_link,
                        "price_change": "0.00",
                        "availability": "unknown",
                    },
                    {
                        "product_id": i["mug"],
                        "name": "[sale] mug",
                        "price": None,
                        "currency": "USD",
                        "quantity": 1,
                        "line_total": None,
                        "affiliate_link": "https://www.amazon.com/dp/B000000002?tag=mytag-20",
                        "cart_link": amazon_link,
                        "price_change": None,
                        "availability": "unknown",
                    },
                ],
                "subtotals": [{"currency": "USD", "amount": "59.97"}],
                "unpriced_items": 1,
                "cart_link": amazon_link,
                "cart_links": [amazon_link],
            },
            {
                "source": "eBay",
                "items": [
                    {
                        "product_id": i["lens"],
                        "name": "Lens 50mm",
                        "price": "89.99",
                        "currency": "USD",
                        "quantity": 1,
                        "line_total": "89.99",
                        "affiliate_link": f"https://www.ebay.com/itm/256789012345?{EPN}",
                        "cart_link": None,
                        "price_change": "0.00",
                        "availability": "unknown",
                    },
                ],
                "subtotals": [{"currency": "USD", "amount": "89.99"}],
                "unpriced_items": 0,
                "cart_link": None,
                "cart_links": [],
            },
            {
                "source": None,
                "items": [
                    {
                        "product_id": i["tee"],
                        "name": "Tee",
                        "price": "25.00",
                        "currency": "EUR",
                        "quantity": 2,
                        "line_total": "50.00",
                        "affiliate_link": "https://tees.example/products/tee?variant=4242",
                        "cart_link": "https://tees.example/cart/4242:2",
                        "price_change": "0.00",
                        "availability": "unknown",
                    },
                ],
                "subtotals": [{"currency": "EUR", "amount": "50.00"}],
                "unpriced_items": 0,
                "cart_link": "https://tees.example/cart/4242:2",
                "cart_links": ["https://tees.example/cart/4242:2"],
            },
        ],
        "totals": [{"currency": "EUR", "amount": "50.00"}, {"currency": "USD", "amount": "149.96"}],
        "unpriced_items": 1,
    }
    assert all(list(s) == STORE_KEYS for s in doc["stores"])
    assert all(list(item) == ITEM_KEYS for s in doc["stores"] for item in s["items"])


def test_totals_are_exact_decimals(ann):
    """Ten items at 0.10 make 1.00, not 0.9999999; the same sums as `cart list`."""
    for n in range(10):
        in_cart(ann, f"https://www.etsy.com/listing/{n + 1}/ten-cents", 1, "--price", "0.10")
    in_cart(ann, "https://www.etsy.com/listing/99/pricey", 3, "--price", "99999999.99")
    doc = checkout_doc(ann)
    expected = [{"currency": "USD", "amount": "300000000.97"}]
    assert doc["stores"][0]["subtotals"] == expected
    assert doc["totals"] == expected
    assert json.loads(ann("cart", "list", "--json").stdout)["totals"] == expected


def test_amazon_cart_link_with_several_items_and_quantities(ann):
    cli = ann
    assert cli("source", "edit", "amazon", "--tag", AMAZON_TAG).exit_code == 0
    wanted = {"B000000011": 2, "B000000012": 5, "B000000013": 1, "B000000014": 12}
    for asin, qty in wanted.items():
        in_cart(cli, f"https://www.amazon.com/gp/product/{asin}/ref=ppx_yo?psc=1&pd_rd_i={asin}", qty)
    # A second Amazon domain gets its own link; a user's own tagged link stays out of both.
    uk = in_cart(cli, "https://www.amazon.co.uk/dp/B000000021", 4)
    own = in_cart(cli, "https://www.amazon.com/dp/B000000031?tag=someone-21", 1)

    store = checkout_doc(cli)["stores"][0]
    assert store["source"] == "Amazon"
    first, second = store["cart_links"]
    assert store["cart_link"] == first

    parts = urlsplit(first)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.amazon.com", "/gp/aws/cart/add.html")
    query = dict(parse_qsl(parts.query))
    assert query.pop("AssociateTag") == AMAZON_TAG
    assert {query[f"ASIN.{n}"]: int(query[f"Quantity.{n}"]) for n in range(1, 5)} == wanted
    assert len(query) == 2 * len(wanted)

    parts = urlsplit(second)
    assert parts.netloc == "www.amazon.co.uk"
    assert dict(parse_qsl(parts.query)) == {
        "ASIN.1": "B000000021",
        "Quantity.1": "4",
        "AssociateTag": AMAZON_TAG,
    }

    by_id = {item["product_id"]: item for item in store["items"]}
    assert by_id[uk]["cart_link"] == second
    assert by_id[own]["cart_link"] is None
    assert by_id[own]["affiliate_link"] == "https://www.amazon.com/dp/B000000031?tag=someone-21"
    assert "B000000031" not in first + second

    text = cli("checkout").stdout
    assert "One link fills your cart at www.amazon.com with 4 of 6 items:" in text
    assert "One link fills your cart at www.amazon.co.uk with 1 of 6 items:" in text
    assert f"Buy product {own} through its own link above." in text


def test_amazon_cart_link_without_a_tag_has_no_associate_tag(ann):
    in_cart(ann, "https://www.amazon.de/dp/B000000041", 2)
    store = checkout_doc(ann)["stores"][0]
    assert store["cart_link"] == "https://www.amazon.de/gp/aws/cart/add.html?ASIN.1=B000000041&Quantity.1=2"


def test_one_source(shop):
    doc = checkout_doc(shop, "--source", "EBAY")
    assert [s["source"] for s in doc["stores"]] == ["eBay"]
    assert doc["totals"] == [{"currency": "USD", "amount": "89.99"}]
    r = shop("checkout", "--source", "ebay")
    assert r.stdout.splitlines()[0] == "eBay: 1 item"
    assert r.stdout.splitlines()[-1] == "Total: 89.99 USD"


def test_other_shops_as_a_source(shop):
    doc = checkout_doc(shop, "--source", "other")
    assert [s["source"] for s in doc["stores"]] == [None]
    assert doc["totals"] == [{"currency": "EUR", "amount": "50.00"}]
    r = shop("checkout", "--source", "Other shops")
    assert r.stdout.splitlines()[0] == "Other shops: 1 item"
    assert r.stdout.splitlines()[-1] == "Total: 50.00 EUR"
    assert shop("checkout", "done", "other", "--yes").exit_code == 0
    r = shop("checkout", "--source", "other")
    assert (
        r.stderr
        == "Nothing to check out: your cart has no items from Other shops (add to it: ishop4u cart add URL).\n"
    )


def test_unknown_source_exits_3(shop):
    r = shop("checkout", "--source", "nowhere")
    assert r.exit_code == 3
    assert r.stdout == ""
    assert r.stderr == (
        "Error: no source named 'nowhere' (see: ishop4u source list; 'other' names the products without a source)\n"
    )


def test_empty_cart(ann):
    r = ann("checkout")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == "Nothing to check out: your cart has no items (add to it: ishop4u cart add URL).\n"
    assert checkout_doc(ann) == {"stores": [], "totals": [], "unpriced_items": 0}
    r = ann("checkout", "--source", "walmart", "--open")
    assert (r.exit_code, r.stdout) == (0, "")
    assert "no items from Walmart" in r.stderr


def test_only_unpriced_items(ann):
    in_cart(ann, "https://www.walmart.com/ip/123456", 2)
    r = ann("checkout")
    assert r.exit_code == 0, r
    lines = r.stdout.splitlines()
    assert "  Subtotal: 1 item without a price" in lines
    assert lines[-2:] == ["Total: no prices known", "1 item without a price is not in the totals."]
    doc = checkout_doc(ann)
    assert doc["totals"] == [] and doc["stores"][0]["subtotals"] == [] and doc["unpriced_items"] == 1


def test_needs_a_signed_in_user(ann, db_rows):
    cli = ann
    in_cart(cli, "https://www.amazon.com/dp/B000000001", 1)
    assert cli("user", "logout").exit_code == 0
    before = db_rows()
    for args in (
        ["checkout"],
        ["checkout", "--json"],
        ["checkout", "--open"],
        ["checkout", "done", "amazon", "--yes"],
    ):
        r = cli(*args)
        assert r.exit_code == 4, (args, r)
        assert r.stdout == ""
        assert r.stderr.startswith("Error: not signed in")
    assert db_rows() == before


def test_checkout_options_do_not_go_with_done(shop):
    r = shop("checkout", "--json", "done", "ebay")
    assert r.exit_code == 2
    assert "checkout done --help" in r.stderr


# ---------------------------------------------------------------- --open


@pytest.fixture
def browser(monkeypatch):
    """Replace the browser call; the list records each URL opened."""
    from ishop4u_cli.commands import checkout

    opened: list[str] = []

    def record(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(checkout, "open_url", record)
    return opened


def test_open_opens_store_cart_links_and_the_other_items_links(shop, browser):
    r = shop("checkout", "--open")
    assert r.exit_code == 0, r
    assert browser == [
        amazon_cart(("B000000001", 3), ("B000000002", 1)),
        f"https://www.ebay.com/itm/256789012345?{EPN}",
        "https://tees.example/cart/4242:2",
    ]
    assert r.stderr == "Opened 3 links in your browser.\n"
    assert r.stdout.startswith("Amazon: 2 items\n")  # the listing is still shown


def test_open_with_json_and_one_source(shop, browser):
    r = shop("checkout", "--open", "--json", "--source", "amazon")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["stores"][0]["source"] == "Amazon"
    assert browser == [amazon_cart(("B000000001", 3), ("B000000002", 1))]
    assert r.stderr == "Opened 1 link in your browser.\n"


def test_open_more_than_ten_tabs_asks_and_without_a_terminal_opens_nothing(ann, browser):
    for n in range(11):
        in_cart(ann, f"https://www.etsy.com/listing/{100 + n}/thing-{n}", 1, "--price", "1")
    r = ann("checkout", "--open")
    assert r.exit_code == 2
    assert browser == []
    assert "Error: Open 11 tabs in your browser: confirmation needed; pass --yes to answer it" in r.stderr

    r = ann("checkout", "--open", "--yes")
    assert r.exit_code == 0, r
    assert browser == [f"https://www.etsy.com/listing/{100 + n}/thing-{n}" for n in range(11)]
    assert r.stderr == "Opened 11 links in your browser.\n"


def test_ten_tabs_open_without_asking(ann, browser):
    for n in range(10):
        in_cart(ann, f"https://www.etsy.com/listing/{200 + n}/thing-{n}", 1)
    r = ann("checkout", "--open")
    assert r.exit_code == 0, r
    assert len(browser) == 10


def test_open_without_a_browser_says_so_once_with_the_links(shop, monkeypatch):
    from ishop4u_cli.commands import checkout

    tried: list[str] = []
    monkeypatch.setattr(checkout, "open_url", lambda url: tried.append(url) and False)
    r = shop("checkout", "--open")
    assert r.exit_code == 0, r
    links = [
        amazon_cart(("B000000001", 3), ("B000000002", 1)),
        f"https://www.ebay.com/itm/256789012345?{EPN}",
        "https://tees.example/cart/4242:2",
    ]
    assert tried == links[:1]  # no browser: not tried again for every tab
    assert r.stderr == "Warning: could not open a browser: open these 3 links yourself:\n" + "".join(
        f"      {link}\n" for link in links
    )


def test_a_browser_that_stops_working_leaves_the_rest_listed(shop, monkeypatch):
    from ishop4u_cli.commands import checkout

    monkeypatch.setattr(checkout, "open_url", lambda url: "ebay" not in url)
    r = shop("checkout", "--open")
    assert r.exit_code == 0, r
    assert r.stderr == (
        "Opened 1 link in your browser.\n"
        "Warning: could not open a browser: open these 2 links yourself:\n"
        f"      https://www.ebay.com/itm/256789012345?{EPN}\n"
        "      https://tees.example/cart/4242:2\n"
    )


# ---------------------------------------------------------------- after buying: checkout done


def test_done_removes_only_that_stores_items(shop, db_rows):
    before = db_rows()
    r = shop("checkout", "done", "amazon")  # no terminal, no --yes: refused, nothing removed
    assert r.exit_code == 2
    assert r.stderr == (
        "Error: Remove 2 items bought at Amazon from your cart: confirmation needed; pass --yes to answer it\n"
    )
    assert db_rows() == before

    r = shop("checkout", "done", "Amazon", "--yes")
    assert r.exit_code == 0, r
    assert r.stderr == "Removed 2 items bought at Amazon from your cart.\n"
    assert [s["source"] for s in checkout_doc(shop)["stores"]] == ["eBay", None]
    after = db_rows()
    assert after["products"] == before["products"]  # the products stay, only the cart items go
    assert len(after["cart_items"]) == 2

    r = shop("checkout", "done", "amazon", "--yes")
    assert (r.exit_code, r.stderr) == (0, "Nothing to remove: your cart has no items from Amazon.\n")

    r = shop("checkout", "done", "other", "-y")
    assert (r.exit_code, r.stderr) == (0, "Removed 1 item bought at Other shops from your cart.\n")
    assert [s["source"] for s in checkout_doc(shop)["stores"]] == ["eBay"]


def test_done_leaves_other_users_carts_alone(shop):
    cli = shop
    assert (
        cli("user", "add", "Bob", "bob@example.com", "--password-stdin", input="secret-pw\n").exit_code == 0
    )
    r = cli("user", "login", "bob@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    assert cli("cart", "add", str(cli.ids["book"]), str(cli.ids["tee"])).exit_code == 0
    assert (
        cli("checkout", "done", "amazon", "--yes").stderr
        == "Removed 1 item bought at Amazon from your cart.\n"
    )
    assert cli("checkout", "done", "other", "--yes").exit_code == 0
    assert checkout_doc(cli)["stores"] == []
    r = cli("user", "login", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    assert [s["source"] for s in checkout_doc(cli)["stores"]] == ["Amazon", "eBay", None]


def test_done_unknown_store_exits_3(shop, db_rows):
    before = db_rows()
    r = shop("checkout", "done", "nowhere", "--yes")
    assert r.exit_code == 3
    assert r.stderr.startswith("Error: no source named 'nowhere' (see: ishop4u source list;")
    assert db_rows() == before


def test_help_names_the_subcommand(cli):
    r = cli("checkout", "--help")
    assert r.exit_code == 0
    for text in ("--source", "--json", "--open", "--yes", "done"):
        assert text in r.stdout
    r = cli("checkout", "done", "--help")
    assert "After buying at STORE, remove its items from your cart" in r.stdout


# ---------------------------------------------------------------- at a terminal


@pytest.fixture
def recording_browser(tmp_path) -> tuple[dict[str, str], object]:
    """$BROWSER naming a script that appends each URL to a file (Python's webbrowser honours it)."""
    log = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{log}"\n')
    script.chmod(0o755)
    env = {"BROWSER": str(script)}  # webbrowser runs it as `script URL` and waits for it
    return env, (lambda: log.read_text().splitlines() if log.exists() else [])


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_at_a_terminal_declining_changes_nothing_and_yes_goes_ahead(shop, db_rows, recording_browser):
    env, opened = recording_browser
    before = db_rows()
    code, screen = run_at_terminal(["--db", shop.db_url, "checkout", "done", "ebay"], ["n"], env)
    assert code == 1, screen
    assert "Remove 1 item bought at eBay from your cart? [y/N]: " in screen
    assert "Error: nothing was changed" in screen
    assert db_rows() == before

    code, screen = run_at_terminal(["--db", shop.db_url, "checkout", "done", "ebay"], ["y"], env)
    assert code == 0, screen
    assert "Removed 1 item bought at eBay from your cart." in screen
    assert len(db_rows()["cart_items"]) == 3

    for n in range(11):
        in_cart(shop, f"https://www.etsy.com/listing/{300 + n}/thing-{n}", 1)
    code, screen = run_at_terminal(["--db", shop.db_url, "checkout", "--open"], ["n"], env)
    assert code == 1, screen
    assert "Open 13 tabs in your browser? [y/N]: " in screen
    assert "Error: nothing was opened" in screen
    assert opened() == []

    code, screen = run_at_terminal(
        ["--db", shop.db_url, "checkout", "--open", "--source", "etsy"], ["y"], env
    )
    assert code == 0, screen
    assert "Open 11 tabs in your browser? [y/N]: " in screen
    assert "Opened 11 links in your browser." in screen
    assert opened() == [f"https://www.etsy.com/listing/{300 + n}/thing-{n}" for n in range(11)]
