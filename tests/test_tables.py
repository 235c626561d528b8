"""Tables that fit: on a real (pseudo-)terminal of 80 and 120 columns, and whole when piped.

One line a row, names cut with an ellipsis, numbers and store names whole, the
columns of least value dropped first, links OSC 8 hyperlinks on a terminal.
Run as a user's shell runs it (no PYTHONUNBUFFERED, no COLUMNS).
"""

from __future__ import annotations

import json
import os
import re

import pytest
from terminal import run_with_terminal_on

from ishop4u_cli.render import tables

LONG = "Smart speaker with a very long product title copied from the store page"
CABLE = "USB-C cable, 3 pack, braided nylon, 100W fast charging, 2 metres"
NOTES = "check the mount, and ask Sam whether he wants one too"
OSC8 = re.compile(r"\x1b\]8;[^;]*;([^\x1b]*)\x1b\\")
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def shell_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "COLUMNS", "LINES")}
    env.pop("_TYPER_FORCE_DISABLE_TERMINAL", None)
    return env


def at_terminal(cli, columns: int, *args: str) -> tuple[str, list[str]]:
    """(the screen with escape codes, its lines as seen: no colours, links as their text)."""
    saved, wanted = dict(os.environ), shell_env()
    os.environ.clear()
    os.environ.update(wanted)
    try:
        code, screen, err = run_with_terminal_on("stdout", ["--db", cli.db_url, *args], columns=columns)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert (code, err) == (0, ""), (err, screen)
    seen = CSI.sub("", OSC8.sub("", screen).replace("\x1b]8;;\x1b\\", ""))
    return screen, seen.rstrip("\n").split("\n")


@pytest.fixture
def shop(cli):
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    for url, name, price, currency in [
        ("https://www.aliexpress.com/item/1005006012345678.html", CABLE, "4.19", "USD"),
        ("https://www.amazon.com/dp/B09B8V1LZ3", LONG, "1249.99", "USD"),
        ("https://www.ebay.com/itm/256123456789", "Vintage 50mm camera lens", "120", "EUR"),
    ]:
        r = cli("product", "add", url, "--name", name, "--price", price, "--currency", currency, "--no-fetch")
        assert r.exit_code == 0, r
    r = cli(
        "product", "add", "https://shop.example.com/products/gift-card", "--name", "Gift card", "--no-fetch"
    )
    assert r.exit_code == 0, r
    assert cli("cart", "add", "1", "2", "3", "4", "--qty", "12", "--notes", NOTES).exit_code == 0
    return cli


@pytest.mark.parametrize("columns", [80, 120])
def test_cart_list_fits_the_terminal(shop, columns):
    _, lines = at_terminal(shop, columns, "cart", "list")
    assert all(len(line) <= columns for line in lines), lines
    rows = {line.split()[0]: line for line in lines if line[:3].strip().isdigit()}
    assert sorted(rows) == ["1", "2", "3", "4"]  # one line an item
    assert "Smart speaker" in rows["2"] and "…" in rows["2"]  # cut with an ellipsis, on its line
    assert "14,999.88 USD" in rows["2"]  # numbers whole
    for store in ("AliExpress", "Amazon", "eBay", "Other shops"):  # store names whole
        assert any(f"  {store}  " in line for line in lines), store
    assert any(re.fullmatch(r"\s*Subtotal Amazon\s+14,999\.88 USD\s*", line) for line in lines), lines
    header = lines[0].split()
    if columns == 80:  # the columns of least value went: the date, then the unit price
        assert "Added" not in header and "Unit" not in header
        assert header == ["ID", "Name", "Store", "Qty", "Line", "total", "Notes"]
    else:
        assert header == ["ID", "Name", "Store", "Unit", "price", "Qty", "Line", "total", "Notes", "Added"]
    assert len(lines) < 25  # four items, four subtotals, the totals: not 75 lines


@pytest.mark.parametrize("columns", [80, 120])
def test_product_list_links_are_hyperlinks_at_a_terminal(shop, columns):
    screen, lines = at_terminal(shop, columns, "product", "list")
    assert all(len(line) <= columns for line in lines), lines
    assert len(lines) == 2 + 4  # header, rule, one line a product
    # However the cell is cut on screen, the hyperlink behind it is the whole affiliate link.
    links = set(OSC8.findall(screen)) - {""}
    stored = {p["affiliate_link"] for p in json.loads(shop("product", "list", "--json").stdout)["products"]}
    assert links == stored
    assert "1,249.99 USD" in screen


def test_piped_tables_print_links_whole_and_every_column(shop):
    doc = json.loads(shop("product", "list", "--json").stdout)
    out = shop("product", "list").stdout
    assert "\x1b" not in out and "…" not in out
    for p in doc["products"]:
        assert p["affiliate_link"] in out and p["name"] in out
    out = shop("cart", "list").stdout
    assert "…" not in out and LONG in out and NOTES in out and "Added" in out and "Unit price" in out
    # No padding after the last cell: a script's `cut`, `awk '{print $NF}'` or diff sees the text only.
    assert all(line == line.rstrip() for line in out.splitlines())


def test_source_list_fits_80_columns(shop):
    r = shop("source", "edit", "etsy", "--tag", "a-very-long-affiliate-tracking-id-0123456789")
    assert r.exit_code == 0, r
    _, lines = at_terminal(shop, 80, "source", "list")
    assert all(len(line) <= 80 for line in lines), lines
    assert len(lines) == 2 + 5


def test_layout_drops_the_least_valuable_column_first():
    cols = [
        tables.Column("ID"),
        tables.Column("Name", flex=True, min_width=10),
        tables.Column("A", drop=1),
        tables.Column("B", drop=0),
    ]
    naturals = [2, 40, 12, 12]
    assert tables.layout(cols, naturals, 200) == {0: 2, 1: 40, 2: 12, 3: 12}
    assert tables.layout(cols, naturals, 2 + 10 + 12 + 12 + 9) == {0: 2, 1: 10, 2: 12, 3: 12}
    assert tables.layout(cols, naturals, 40) == {0: 2, 1: 20, 2: 12}  # B went, the name grew
    assert tables.layout(cols, naturals, 20) == {0: 2, 1: 15}


def test_one_name_for_no_store(shop):
    """`product list`, `cart list` and `checkout` call products of no known store the same."""
    (row,) = [line for line in shop("product", "list").stdout.splitlines() if line.split()[0] == "4"]
    assert "  Other shops  " in row
    assert "Subtotal Other shops" in shop("cart", "list").stdout
    assert "Other shops: 1 item" in shop("checkout").stdout.splitlines()
    assert "store:          Other shops" in shop("product", "show", "4").stdout
    for out in (shop("product", "list").stdout, shop("cart", "list").stdout, shop("checkout").stdout):
        assert "no store" not in out
    # The JSON is unchanged: null.
    items = json.loads(shop("cart", "list", "--json").stdout)["items"]
    assert [i["source"] for i in items if i["product_id"] == 4] == [None]


def test_the_render_name_is_the_checkout_name():
    from ishop4u_cli import render
    from ishop4u_cli.services import checkout

    assert render.NO_STORE == checkout.OTHER_SHOPS


def test_checkout_at_80_columns_keeps_every_link_whole_on_its_line(shop):
    _, lines = at_terminal(shop, 80, "checkout")
    stripped = [line.strip() for line in lines]
    doc = json.loads(shop("checkout", "--json").stdout)
    links = [item["affiliate_link"] for store in doc["stores"] for item in store["items"]]
    links += [link for store in doc["stores"] for link in store["cart_links"]]
    assert links and all(link in stripped for link in links)
    assert "Other shops: 1 item" in stripped


def test_user_list_fits_80_columns_and_prints_whole_when_piped(cli):
    long_name = "Annabelle Maximiliane von Hohenzollern-Sigmaringen the Third of Her Name"
    email = "annabelle.maximiliane.von.hohenzollern@example.com"
    r = cli("user", "add", long_name, email, "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    _, lines = at_terminal(cli, 80, "user", "list")
    assert all(len(line) <= 80 for line in lines), lines
    assert len(lines) == 3 and "…" in lines[2]  # header, rule, one line for the user
    out = cli("user", "list").stdout
    assert long_name in out and email in out
