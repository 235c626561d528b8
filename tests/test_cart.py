"""`ishop4u cart ...` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys

import pytest
from terminal import run_with_terminal_on

ITEM_KEYS = [
    "product_id",
    "name",
    "source",
    "price",
    "currency",
    "quantity",
    "line_total",
    "affiliate_link",
    "notes",
    "added_at",
    "price_when_added",
    "price_change",
    "availability",
    "checked_at",
]


def product(cli, url, *args) -> int:
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["id"]


def cart_doc(cli, *args):
    r = cli("cart", "list", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def quantities(cli):
    return {i["product_id"]: i["quantity"] for i in cart_doc(cli)["items"]}


def test_needs_a_signed_in_user(cli, signed_in, db_rows):
    pid = product(cli, "https://shop.example/a", "--price", "1")
    assert cli("user", "logout").exit_code == 0
    before = db_rows()
    for args in (
        ["add", str(pid)],
        ["list"],
        ["update", str(pid), "--qty", "2"],
        ["remove", str(pid)],
        ["clear", "--yes"],
    ):
        r = cli("cart", *args)
        assert r.exit_code == 4, (args, r)
    # A URL is not stored either when nobody is signed in.
    assert cli("cart", "add", "https://shop.example/new", "--no-fetch").exit_code == 4
    assert db_rows() == before


def test_exact_totals_and_json_shape(ann, db_rows):
    cli = ann
    a = product(cli, "https://www.etsy.com/listing/1/ten-cents", "--price", "0.10")
    b = product(cli, "https://www.etsy.com/listing/2/twenty-cents", "--price", "0.20")
    c = product(cli, "https://www.amazon.com/dp/B000000001", "--price", "19.99", "--name", "Book")
    r = cli("cart", "add", str(a), "--qty", "3")
    assert r.exit_code == 0, r
    assert f"product {a}" in r.stderr and "quantity now 3" in r.stderr
    assert cli("cart", "add", str(b)).exit_code == 0
    assert cli("cart", "add", str(c), "-q", "3", "--notes", "[gift] for Bob").exit_code == 0

    doc = cart_doc(cli)
    assert list(doc) == ["items", "totals", "unpriced_items"]
    assert doc["totals"] == [{"currency": "USD", "amount": "60.47"}]
    assert doc["unpriced_items"] == 0
    by_id = {i["product_id"]: i for i in doc["items"]}
    assert all(list(i) == ITEM_KEYS for i in doc["items"])
    assert (by_id[a]["price"], by_id[a]["quantity"], by_id[a]["line_total"]) == ("0.10", 3, "0.30")
    assert (by_id[c]["price"], by_id[c]["quantity"], by_id[c]["line_total"]) == ("19.99", 3, "59.97")
    assert by_id[c]["source"] == "Amazon" and by_id[c]["name"] == "Book"
    assert by_id[c]["notes"] == "[gift] for Bob"
    assert by_id[c]["affiliate_link"].startswith("https://www.amazon.com/dp/B000000001")
    assert isinstance(by_id[c]["added_at"], str) and by_id[c]["added_at"][:2] == "20"

    etsy = cart_doc(cli, "--source", "etsy")
    assert etsy["totals"] == [{"currency": "USD", "amount": "0.50"}]  # 3 x 0.10 + 0.20, exactly
    assert {i["product_id"] for i in etsy["items"]} == {a, b}
    assert cli("cart", "list", "--source", "nowhere").exit_code == 3


def test_table_grouped_by_store_with_subtotals(ann):
    cli = ann
    a = product(cli, "https://www.etsy.com/listing/1/x", "--price", "0.10", "--name", "[sale] mug")
    b = product(cli, "https://www.amazon.com/dp/B000000002", "--price", "19.99", "--name", "Lamp")
    c = product(cli, "https://www.ebay.com/itm/5", "--price", "5", "--currency", "EUR", "--name", "Lens")
    d = product(cli, "https://shop.example/no-price-1", "--name", "Mystery box")
    e = product(cli, "https://www.amazon.com/dp/B000000003", "--name", "Unpriced lamp")
    assert (
        cli(
            "cart", "add", str(a), str(b), str(c), str(d), str(e), "--qty", "3", "--notes", "[x] note"
        ).exit_code
        == 0
    )

    r = cli("cart", "list")
    assert r.exit_code == 0, r
    out = r.stdout
    assert "\x1b[" not in out
    assert "[sale] mug" in out and "[x] note" in out
    assert "Subtotal Amazon" in out and "Subtotal Etsy" in out and "Subtotal eBay" in out
    assert "Subtotal Other shops" in out
    assert out.index("Subtotal Amazon") < out.index("Subtotal eBay") < out.index("Subtotal Etsy")
    assert "59.97 USD" in out and "0.30 USD" in out and "15.00 EUR" in out
    assert "60.27 USD" in out  # grand total in USD
    assert "no price" in out
    assert "2 items without a price are not in the totals." in out
    assert "0.00" not in out  # an item without a price never counts as zero

    doc = cart_doc(cli)
    assert doc["totals"] == [{"currency": "EUR", "amount": "15.00"}, {"currency": "USD", "amount": "60.27"}]
    assert doc["unpriced_items"] == 2
    unpriced = [i for i in doc["items"] if i["price"] is None]
    assert {i["product_id"] for i in unpriced} == {d, e}
    assert all(i["line_total"] is None for i in unpriced)


def test_empty_cart(ann):
    r = ann("cart", "list")
    assert r.exit_code == 0 and r.stdout == "" and "empty" in r.stderr
    assert cart_doc(ann) == {"items": [], "totals": [], "unpriced_items": 0}


def test_re_adding_adds_to_the_quantity(ann, db_rows):
    cli = ann
    url = "https://www.amazon.com/dp/B000000004?ref_=x&utm_source=y"
    r = cli("cart", "add", url, "--no-fetch", "--notes", "first")
    assert r.exit_code == 0, r
    assert "Added product" in r.stderr
    pid = json.loads(cli("cart", "list", "--json").stdout)["items"][0]["product_id"]
    r = cli("cart", "add", "https://www.amazon.com/dp/B000000004#x", "--no-fetch", "--qty", "4", "--json")
    assert r.exit_code == 0, r
    added = json.loads(r.stdout)["added"]
    assert added == [
        {"product_id": pid, "name": added[0]["name"], "added": 4, "quantity": 5, "new_product": False}
    ]
    assert cli("cart", "add", str(pid), str(pid)).exit_code == 0
    assert quantities(cli) == {pid: 7}
    rows = db_rows()
    assert len(rows["cart_items"]) == 1 and len(rows["products"]) == 1
    assert cart_doc(cli)["items"][0]["notes"] == "first"  # kept when no --notes is given
    cli("cart", "add", str(pid), "--notes", "second")
    assert cart_doc(cli)["items"][0]["notes"] == "second"


def test_quantity_limit_rolls_back(ann, db_rows):
    cli = ann
    a = product(cli, "https://shop.example/a", "--price", "1")
    b = product(cli, "https://shop.example/b", "--price", "1")
    assert cli("cart", "add", str(a), "--qty", "9999").exit_code == 0
    before = db_rows()
    r = cli("cart", "add", str(b), str(a))  # b would be added, then a overflows: nothing stays
    assert r.exit_code == 2, r
    assert "10000" in r.stderr and "9999" in r.stderr
    assert db_rows() == before


@pytest.mark.parametrize("qty", ["0", "10000", "2.5", "-1", "abc"])
def test_bad_quantities(ann, db_rows, qty):
    pid = product(ann, "https://shop.example/q", "--price", "1")
    assert ann("cart", "add", str(pid)).exit_code == 0
    before = db_rows()
    r = ann("cart", "add", str(pid), "--qty", qty)
    assert r.exit_code == 2, r
    assert qty in r.stderr
    r = ann("cart", "update", str(pid), "--qty", qty)
    assert r.exit_code == 2, r
    assert db_rows() == before


@pytest.mark.parametrize(
    ("item", "code", "named"),
    [
        ("ftp://x", 2, "'ftp://x'"),
        ("not a url", 2, "'not a url'"),
        ("shop.example/x", 2, "'shop.example/x'"),
        ("999999", 3, "999999"),
    ],
)
def test_bad_items_write_nothing(ann, db_rows, item, code, named):
    pid = product(ann, "https://shop.example/ok", "--price", "1")
    before = db_rows()
    r = ann("cart", "add", str(pid), "https://shop.example/new-one", item, "--no-fetch")
    assert r.exit_code == code, r
    assert named in r.stderr
    assert db_rows() == before


def test_stdin_items_in_one_transaction(ann, db_rows):
    cli = ann
    pid = product(cli, "https://shop.example/known", "--price", "2.50")
    good = f"https://www.etsy.com/listing/9/mug\n\n{pid}\n  \nhttps://www.ebay.com/itm/77?_trksid=p1\n"
    before = db_rows()
    bad = good + "https://shop.example/fine\nnot a url\n"
    r = cli("cart", "add", "-", "--no-fetch", input=bad)
    assert r.exit_code == 2, r
    assert "line 7" in r.stderr and "'not a url'" in r.stderr
    assert db_rows() == before
    r = cli("cart", "add", "-", "--no-fetch", input=good + "424242\n")
    assert r.exit_code == 3, r
    assert "line 6" in r.stderr and "424242" in r.stderr
    assert db_rows() == before

    r = cli("cart", "add", "-", "--no-fetch", "--qty", "2", input=good)
    assert r.exit_code == 0, r
    doc = cart_doc(cli)
    assert sorted(i["quantity"] for i in doc["items"]) == [2, 2, 2]
    assert {i["source"] for i in doc["items"]} == {"Etsy", None, "eBay"}
    assert cli("cart", "add", "-", input="\n\n").exit_code == 2


def test_update(ann, db_rows):
    cli = ann
    pid = product(cli, "https://shop.example/u", "--price", "1.25", "--name", "Widget")
    other = product(cli, "https://shop.example/v", "--price", "1")
    assert cli("cart", "add", str(pid), "--notes", "old").exit_code == 0
    r = cli("cart", "update", str(pid), "--qty", "4", "--notes", "[new] note", "--json")
    assert r.exit_code == 0, r
    line = json.loads(r.stdout)
    assert (line["quantity"], line["notes"], line["line_total"]) == (4, "[new] note", "5.00")
    assert f"product {pid}" in r.stderr and "quantity 4" in r.stderr
    r = cli("cart", "update", str(pid), "--notes", "")
    assert r.exit_code == 0 and cart_doc(cli)["items"][0]["notes"] is None

    before = db_rows()
    assert cli("cart", "update", str(pid)).exit_code == 2  # nothing to change
    r = cli("cart", "update", str(other), "--qty", "2")  # a product, but not in the cart
    assert r.exit_code == 3 and str(other) in r.stderr
    assert cli("cart", "update", "999999", "--qty", "2").exit_code == 3
    assert db_rows() == before


def test_remove_is_all_or_nothing(ann, db_rows):
    cli = ann
    ids = [product(cli, f"https://shop.example/r{n}", "--price", "1") for n in range(3)]
    assert cli("cart", "add", *map(str, ids)).exit_code == 0
    before = db_rows()
    r = cli("cart", "remove", str(ids[0]), "999999")
    assert r.exit_code == 3, r
    assert "999999" in r.stderr and "nothing was removed" in r.stderr
    assert db_rows() == before
    r = cli("cart", "remove", str(ids[0]), str(ids[1]))
    assert r.exit_code == 0, r
    assert f"Removed product {ids[0]}" in r.stderr and f"Removed product {ids[1]}" in r.stderr
    assert quantities(cli) == {ids[2]: 1}
    assert len(db_rows()["products"]) == 3  # only the cart items go


def test_clear(ann, db_rows):
    cli = ann
    a = product(cli, "https://www.etsy.com/listing/1/a", "--price", "1")
    b = product(cli, "https://www.ebay.com/itm/2", "--price", "1")
    c = product(cli, "https://www.ebay.com/itm/3", "--price", "1")
    assert cli("cart", "add", str(a), str(b), str(c)).exit_code == 0
    before = db_rows()
    r = cli("cart", "clear")
    assert r.exit_code == 2 and "--yes" in r.stderr and "3 items" in r.stderr
    assert db_rows() == before
    assert cli("cart", "clear", "--source", "nowhere", "--yes").exit_code == 3
    r = cli("cart", "clear", "--source", "EBAY", "--yes")
    assert r.exit_code == 0 and "Removed 2 items" in r.stderr
    assert quantities(cli) == {a: 1}
    r = cli("cart", "clear", "--yes")
    assert r.exit_code == 0 and "Removed 1 item " in r.stderr
    r = cli("cart", "clear")
    assert r.exit_code == 0 and "Nothing to remove" in r.stderr


def test_piped_cart_list_has_no_escape_codes(ann, run_ishop4u):
    cli = ann
    long_name = "Extremely long product name " * 9
    pid = product(cli, "https://shop.example/long", "--name", long_name.strip(), "--price", "3")
    assert cli("cart", "add", str(pid), "--notes", "[note] " + "n" * 300).exit_code == 0
    r = run_ishop4u("--db", cli.db_url, "cart", "list")
    assert r.exit_code == 0, r
    assert "\x1b[" not in r.stdout and "…" not in r.stdout
    assert long_name.strip() in r.stdout  # never cut or wrapped in a pipe
    assert "[note] " + "n" * 300 in r.stdout


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses a pseudo-terminal")
def test_no_color_on_a_terminal(ann):
    """At a terminal the table has colour; NO_COLOR takes it away."""
    cli = ann
    pid = product(cli, "https://shop.example/nc")  # no price: shown in colour
    assert cli("cart", "add", str(pid)).exit_code == 0

    def run_on_a_terminal(extra_env):
        # isolated_home has taken NO_COLOR out of the environment; only extra_env sets it.
        env = {"TERM": "xterm-256color", "COLUMNS": "200", **extra_env}
        code, screen, errors = run_with_terminal_on("stdout", ["--db", cli.db_url, "cart", "list"], env, 60)
        assert code == 0, errors
        return screen

    coloured = run_on_a_terminal({})
    assert "\x1b[33m" in coloured or "\x1b[93m" in coloured  # yellow "no price"
    plain = run_on_a_terminal({"NO_COLOR": "1"})
    assert "no price" in plain
    for code in ("\x1b[3", "\x1b[9", "\x1b[38;"):
        assert code not in plain


def test_notes_keep_lines_but_lose_control_characters(ann):
    pid = product(ann, "https://shop.example/notes", "--price", "1")
    assert ann("cart", "add", str(pid), "--notes", "  wrap it\nblue \x1b[2J paper  ").exit_code == 0
    assert cart_doc(ann)["items"][0]["notes"] == "wrap it\nblue  [2J paper"
    assert ann("cart", "update", str(pid), "--notes", "x" * 1001).exit_code == 2


def test_add_a_new_page_with_its_price_in_one_step(ann, db_rows):
    r = ann(
        "cart", "add", "https://www.walmart.com/ip/123456789", "--price", "19.99", "--name", "Desk lamp",
        "--currency", "eur", "--qty", "2", "--no-fetch", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["added"][0]["new_product"] is True
    (item,) = cart_doc(ann)["items"]
    assert (item["name"], item["price"], item["currency"], item["quantity"]) == (
        "Desk lamp",
        "19.99",
        "EUR",
        2,
    )
    assert r.stderr.splitlines()[0] == "Added product 1: Desk lamp (Walmart)"


def test_add_with_a_price_for_a_stored_page_keeps_it_and_says_how_to_edit(ann):
    pid = product(ann, "https://www.walmart.com/ip/123456789", "--price", "5", "--name", "Lamp")
    r = ann("cart", "add", "https://www.walmart.com/ip/123456789", "--price", "19.99")
    assert r.exit_code == 0, r
    assert r.stderr.splitlines()[:2] == [
        f"Product {pid} is already stored for this page: Lamp (Walmart)",
        f"Kept it as it is, ignoring --price (to change it: ishop4u product edit {pid} ...)",
    ]
    assert [(i["price"], i["quantity"]) for i in cart_doc(ann)["items"]] == [("5.00", 1)]


@pytest.mark.parametrize(
    ("items", "named"),
    [
        (["https://shop.example/a", "https://shop.example/b"], "--price describes one product page"),
        (["-"], "not - (stdin)"),
        (["1"], "not the stored product 1 (to change it: ishop4u product edit 1 --price ...)"),
    ],
)
def test_price_with_several_items_stdin_or_an_id_is_a_usage_error(ann, db_rows, items, named):
    product(ann, "https://shop.example/c")
    before = db_rows()
    r = ann("cart", "add", *items, "--price", "1", input="https://shop.example/d\n")
    assert r.exit_code == 2, r
    assert named in r.stderr and r.stderr.startswith("Error: ")
    assert db_rows() == before


def test_an_address_without_https_gets_a_hint(ann, db_rows):
    before = db_rows()
    r = ann("cart", "add", "amazon.com/dp/B0C1234567")
    assert (r.exit_code, r.stderr) == (
        2,
        "Error: item 'amazon.com/dp/B0C1234567': not a product id or an http(s) URL: "
        "'amazon.com/dp/B0C1234567' (a web address starts with https://: "
        "did you mean https://amazon.com/dp/B0C1234567?)\n",
    )
    assert "did you mean" not in ann("cart", "add", "mug").stderr  # not an address: no guess
    assert db_rows() == before
