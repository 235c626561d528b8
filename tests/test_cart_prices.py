"""Price history where a price is learnt, and what the cart, the checkout and the export show (issue 11).

On SQLite and PostgreSQL: `product add`, `cart add`, `product edit` and both imports record
observations (and nothing when a command fails); a cart item keeps the price it entered the cart
at; `cart list`, `checkout` and `cart export` show the change since and the stock its page last showed.
Stock is set the way a page read leaves it (a page_checks row), or read from a served page.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from ishop4u_cli.tables import page_checks

PW = "secret-pw"


def product(cli, url: str, *args: str) -> int:
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["id"]


def observed(engine, product_id: int | None = None) -> list[tuple]:
    """(product id, price, currency, availability, origin) of each observation, oldest first."""
    query = "SELECT product_id, price, currency, availability, origin FROM price_observations"
    params = {}
    if product_id is not None:
        query += " WHERE product_id = :p"
        params["p"] = product_id
    with engine.connect() as conn:
        rows = conn.execute(sa.text(query + " ORDER BY id"), params).all()
    return [
        (p, None if price is None else f"{Decimal(str(price)):.2f}", c, a, o) for p, price, c, a, o in rows
    ]


def check_of(engine, product_id: int) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(page_checks).where(page_checks.c.product_id == product_id)).first()
    return None if row is None else dict(row._mapping)


def set_stock(engine, product_id: int, availability: str, at: datetime | None = None) -> None:
    """What a page read leaves behind: the product's page_checks row."""
    with engine.begin() as conn:
        conn.execute(sa.delete(page_checks).where(page_checks.c.product_id == product_id))
        conn.execute(
            sa.insert(page_checks).values(
                product_id=product_id,
                availability=availability,
                checked_at=at or datetime(2026, 11, 24, 9, 30),
            )
        )


def items(cli) -> dict[int, dict]:
    r = cli("cart", "list", "--json")
    assert r.exit_code == 0, r
    return {item["product_id"]: item for item in json.loads(r.stdout)["items"]}


# ---------------------------------------------------------------- observations


def test_product_add_with_a_typed_price_is_a_manual_observation(cli, signed_in, engine):
    pid = product(cli, "https://shop.example/a", "--price", "19.99", "--currency", "EUR")
    unpriced = product(cli, "https://shop.example/b")
    assert observed(engine) == [(pid, "19.99", "EUR", "unknown", "manual")]
    assert observed(engine, unpriced) == []
    assert check_of(engine, pid) is None  # --no-fetch: no page was read
    # The same page again adds nothing, and observes nothing.
    assert product(cli, "https://shop.example/a?utm_source=x", "--price", "5") == pid
    assert len(observed(engine)) == 1


def test_product_add_from_its_page_observes_the_page_and_its_stock(cli, signed_in, engine, page_server):
    r = cli("product", "add", page_server.url("/pages/jsonld_product.html"), "--json")
    assert r.exit_code == 0, r
    pid = json.loads(r.stdout)["id"]
    assert observed(engine) == [(pid, "1299.00", "EUR", "in_stock", "page")]
    check = check_of(engine, pid)
    assert check is not None
    assert check["availability"] == "in_stock" and check["failure"] is None
    assert isinstance(check["checked_at"], datetime)
    assert abs((datetime.utcnow() - check["checked_at"]).total_seconds()) < 120


def test_a_typed_price_wins_at_add_time_and_is_the_manual_observation(cli, signed_in, engine, page_server):
    r = cli("product", "add", page_server.url("/pages/jsonld_product.html"), "--price", "999", "--json")
    assert r.exit_code == 0, r
    pid = json.loads(r.stdout)["id"]
    # The page was read for the name; the price typed is the one observed, in the default currency.
    assert observed(engine) == [(pid, "999.00", "USD", "in_stock", "manual")]
    assert check_of(engine, pid)["availability"] == "in_stock"


def test_a_failed_page_read_is_recorded_as_such(cli, signed_in, engine, page_server):
    r = cli("product", "add", page_server.url("/status/404"), "--json")
    assert r.exit_code == 0, r
    pid = json.loads(r.stdout)["id"]
    assert observed(engine) == []  # no price: nothing observed
    check = check_of(engine, pid)
    assert check["checked_at"] is None and check["availability"] == "unknown"
    assert isinstance(check["failed_at"], datetime) and "404" in check["failure"]


def test_cart_add_of_a_new_page_observes_it_and_remembers_the_price(ann, engine, page_server):
    r = ann("cart", "add", page_server.url("/pages/jsonld_product.html"))
    assert r.exit_code == 0, r
    (item,) = items(ann).values()
    assert observed(engine) == [(item["product_id"], "1299.00", "EUR", "in_stock", "page")]
    assert item["price_when_added"] == "1299.00" and item["price_change"] == "0.00"
    assert item["availability"] == "in_stock"
    assert item["checked_at"] is not None and len(item["checked_at"]) == len("2026-11-24 09:30:00")


def test_product_edit_observes_a_new_price_or_currency_only(cli, signed_in, engine):
    pid = product(cli, "https://shop.example/a", "--price", "10")
    for args in (["--name", "Renamed"], ["--price", "10.00"], ["--image", "https://shop.example/i.png"]):
        assert cli("product", "edit", str(pid), *args).exit_code == 0, args
    assert len(observed(engine)) == 1  # nothing about the price changed
    assert cli("product", "edit", str(pid), "--price", "8.50").exit_code == 0
    assert cli("product", "edit", str(pid), "--currency", "GBP").exit_code == 0
    assert cli("product", "edit", str(pid), "--price", "").exit_code == 0  # no price: not an observation
    assert cli("product", "edit", str(pid), "--currency", "EUR").exit_code == 0  # still no price
    assert observed(engine) == [
        (pid, "10.00", "USD", "unknown", "manual"),
        (pid, "8.50", "USD", "unknown", "manual"),
        (pid, "8.50", "GBP", "unknown", "manual"),
    ]


def test_failed_and_refused_commands_observe_nothing(ann, db_rows, tmp_path):
    pid = product(ann, "https://shop.example/a", "--price", "10")
    before = db_rows()
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text(
        "name,url,price\nOk,https://shop.example/ok,1.00\nBad,https://shop.example/bad,1.001\n"
    )
    for args, code in (
        (["product", "add", "https://shop.example/c", "--price", "-1", "--no-fetch"], 2),
        (["product", "add", "https://shop.example/c", "--price", "abc", "--no-fetch"], 2),
        (["product", "edit", str(pid), "--price", "1e400"], 2),
        (["product", "edit", "999999", "--price", "5"], 3),
        (["product", "import", str(bad_csv)], 2),
        (["cart", "add", "https://shop.example/d", "--price", "1.001", "--no-fetch"], 2),
        (["cart", "add", "https://shop.example/e", "999999", "--no-fetch"], 3),
    ):
        r = ann(*args)
        assert r.exit_code == code, (args, r)
    assert db_rows() == before


def test_product_import_observes_new_priced_products_only(cli, signed_in, engine, tmp_path):
    kept = product(cli, "https://shop.example/stored", "--price", "3")
    path = tmp_path / "products.csv"
    path.write_text(
        "name,url,price,currency\n"
        "A,https://shop.example/a,1.50,EUR\n"
        "B,https://shop.example/b,,\n"
        "Stored,https://shop.example/stored,4.00,USD\n"
        "A again,https://shop.example/a,2.00,EUR\n"
    )
    r = cli("product", "import", str(path), "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout) == {"rows": 4, "added": 2, "already_stored": 1, "repeated": 1}
    ids = {p["name"]: p["id"] for p in json.loads(cli("product", "list", "--json").stdout)["products"]}
    assert observed(engine) == [
        (kept, "3.00", "USD", "unknown", "manual"),
        (ids["A"], "1.50", "EUR", "unknown", "import"),
    ]


def test_product_import_jsonl_observes_too(cli, signed_in, engine, tmp_path):
    path = tmp_path / "products.jsonl"
    path.write_text('{"url": "https://shop.example/j", "price": 12.5}\n{"url": "https://shop.example/k"}\n')
    assert cli("product", "import", str(path)).exit_code == 0
    (row,) = observed(engine)
    assert row[1:] == ("12.50", "USD", "unknown", "import")


# ---------------------------------------------------------------- the cart keeps the price it was added at


def test_price_when_added_is_kept_by_a_re_add_and_an_update(ann, engine):
    pid = product(ann, "https://shop.example/a", "--price", "20")
    assert ann("cart", "add", str(pid)).exit_code == 0
    assert ann("product", "edit", str(pid), "--price", "17").exit_code == 0
    assert ann("cart", "add", str(pid), "--qty", "2").exit_code == 0  # a re-add
    assert ann("cart", "update", str(pid), "--qty", "5", "--notes", "gift").exit_code == 0
    item = items(ann)[pid]
    assert (item["quantity"], item["price"], item["price_when_added"]) == (5, "17.00", "20.00")
    assert item["price_change"] == "-3.00"
    assert ann("product", "edit", str(pid), "--price", "21.50").exit_code == 0
    assert items(ann)[pid]["price_change"] == "1.50"
    # Removed and added again: a new item, at today's price.
    assert ann("cart", "remove", str(pid)).exit_code == 0
    assert ann("cart", "add", str(pid)).exit_code == 0
    assert (items(ann)[pid]["price_when_added"], items(ann)[pid]["price_change"]) == ("21.50", "0.00")


def test_price_change_is_null_without_both_prices_or_across_currencies(ann):
    unpriced = product(ann, "https://shop.example/none")
    later = product(ann, "https://shop.example/later")
    euro = product(ann, "https://shop.example/euro", "--price", "10")
    assert ann("cart", "add", str(unpriced), str(later), str(euro)).exit_code == 0
    assert ann("product", "edit", str(later), "--price", "5").exit_code == 0
    assert ann("product", "edit", str(euro), "--price", "9", "--currency", "EUR").exit_code == 0
    got = items(ann)
    assert (got[unpriced]["price_when_added"], got[unpriced]["price_change"]) == (None, None)
    # Priced after it was added: the price when added stays unknown (a re-add keeps it so).
    assert (got[later]["price_when_added"], got[later]["price_change"]) == (None, None)
    assert (got[euro]["price_when_added"], got[euro]["price_change"]) == ("10.00", None)
    assert all(i["availability"] == "unknown" and i["checked_at"] is None for i in got.values())
    out = ann("cart", "list").stdout
    assert "Change" not in out and "▼" not in out and "▲" not in out


def test_cart_list_shows_the_change_and_the_stock_piped(ann, engine):
    fall = product(ann, "https://shop.example/fall", "--price", "20", "--name", "Falling kettle")
    rise = product(ann, "https://shop.example/rise", "--price", "5", "--name", "Rising mug")
    gone = product(ann, "https://shop.example/gone", "--price", "7", "--name", "Gone lamp")
    old = product(ann, "https://shop.example/old", "--price", "1", "--name", "Old tee")
    assert ann("cart", "add", str(fall), str(rise), str(gone), str(old)).exit_code == 0
    assert ann("product", "edit", str(fall), "--price", "1017").exit_code == 0
    assert ann("product", "edit", str(fall), "--price", "16.99").exit_code == 0
    assert ann("product", "edit", str(rise), "--price", "6.50").exit_code == 0
    set_stock(engine, gone, "out_of_stock")
    set_stock(engine, old, "discontinued")
    set_stock(engine, rise, "in_stock")

    r = ann("cart", "list")
    assert r.exit_code == 0, r
    assert "\x1b" not in r.stdout
    rows = {
        line.split()[0]: line for line in r.stdout.splitlines() if line.split() and line.split()[0].isdigit()
    }
    assert "Change" in r.stdout.splitlines()[0]
    assert "▼ 3.01" in rows[str(fall)] and "▲ 1.50" in rows[str(rise)]
    assert "▼" not in rows[str(gone)] and "▲" not in rows[str(gone)]  # no change: nothing
    assert "(out of stock) Gone lamp" in rows[str(gone)]
    assert "(discontinued) Old tee" in rows[str(old)]
    assert "(" not in rows[str(rise)]  # in stock: no mark

    got = items(ann)
    assert got[gone]["availability"] == "out_of_stock" and got[gone]["checked_at"] == "2026-11-24 09:30:00"
    assert got[old]["availability"] == "discontinued" and got[rise]["availability"] == "in_stock"
    assert got[fall]["price_change"] == "-3.01"


def test_cart_list_change_in_colour_at_a_terminal_within_80_columns(ann, engine):
    from test_tables import at_terminal

    long = "Smart speaker with a very long product title copied from the store page"
    fall = product(ann, "https://www.amazon.com/dp/B09B8V1LZ3", "--price", "1249.99", "--name", long)
    rise = product(ann, "https://www.ebay.com/itm/256123456789", "--price", "120", "--currency", "EUR")
    gone = product(
        ann, "https://www.aliexpress.com/item/1005006012345678.html", "--price", "4.19", "--name", long
    )
    assert (
        ann("cart", "add", str(fall), str(rise), str(gone), "--qty", "12", "--notes", "ask Sam").exit_code
        == 0
    )
    assert ann("product", "edit", str(fall), "--price", "999.99").exit_code == 0
    assert ann("product", "edit", str(rise), "--price", "121.50").exit_code == 0
    set_stock(engine, gone, "out_of_stock")

    screen, lines = at_terminal(ann, 80, "cart", "list")
    assert all(len(line) <= 80 for line in lines), lines
    header = lines[0].split()
    assert "Change" in header and "Store" in header and "Added" not in header
    rows = {line.split()[0]: line for line in lines if line[:3].strip().isdigit()}
    assert "▼ 250.00" in rows[str(fall)] and "▲ 1.50" in rows[str(rise)]
    assert "(out of stock) Smart" in rows[str(gone)]  # the mark survives the cut name
    assert re.search(r"\x1b\[(32|92)m *▼ 250\.00", screen), screen  # green: a fall
    assert re.search(r"\x1b\[(31|91)m *▲ 1\.50", screen), screen  # red: a rise


# ---------------------------------------------------------------- checkout


def test_checkout_warns_about_unavailable_items_before_the_links(ann, engine, tmp_path):
    ok = product(ann, "https://shop.example/ok", "--price", "10", "--name", "Fine mug")
    gone = product(ann, "https://shop.example/gone", "--price", "7", "--name", "Gone lamp")
    old = product(ann, "https://shop.example/old", "--price", "1", "--name", "[old] tee")
    assert ann("cart", "add", str(ok), str(gone), str(old)).exit_code == 0
    assert ann("product", "edit", str(ok), "--price", "8").exit_code == 0
    set_stock(engine, gone, "out_of_stock")
    set_stock(engine, old, "discontinued", datetime(2026, 11, 20, 7, 5))
    set_stock(engine, ok, "in_stock")

    r = ann("checkout")
    assert r.exit_code == 0, r
    assert r.stderr.splitlines() == [
        f"Warning: product {gone} (Gone lamp) was out of stock when its page was read on 2026-11-24 09:30 UTC",
        f"Warning: product {old} ([old] tee) was discontinued when its page was read on 2026-11-20 07:05 UTC",
    ]
    assert f"  1 x Fine mug (product {ok}): 8.00 USD each (▼ 2.00 since added), 8.00 USD" in r.stdout

    r = ann("checkout", "--json")
    assert r.exit_code == 0, r
    assert "Warning: product" in r.stderr  # stdout stays the one JSON document
    (store,) = json.loads(r.stdout)["stores"]
    by_id = {i["product_id"]: i for i in store["items"]}
    assert (by_id[ok]["price_change"], by_id[ok]["availability"]) == ("-2.00", "in_stock")
    assert (by_id[gone]["price_change"], by_id[gone]["availability"]) == ("0.00", "out_of_stock")
    assert by_id[old]["availability"] == "discontinued"

    page = tmp_path / "checkout.html"
    r = ann("checkout", "--html", "--output", str(page))
    assert r.exit_code == 0, r
    assert r.stdout == f"{page}\n" and r.stderr.count("Warning: product") == 2
    html = page.read_text(encoding="utf-8")
    assert "Price down 2.00 USD since you added it" in html
    assert '<p class="stock out-of-stock">Out of stock (checked 2026-11-24)</p>' in html
    assert '<p class="stock discontinued">Discontinued (checked 2026-11-20)</p>' in html
    assert '<p class="stock in-stock">In stock (checked 2026-11-24)</p>' in html
    assert "[old] tee" in html and "<script" not in html


def test_checkout_of_items_in_stock_warns_about_nothing(ann, engine):
    pid = product(ann, "https://shop.example/ok", "--price", "10")
    assert ann("cart", "add", str(pid)).exit_code == 0
    set_stock(engine, pid, "preorder")
    r = ann("checkout")
    assert r.exit_code == 0 and r.stderr == "", r


# ---------------------------------------------------------------- export and import


def cart_with_history(ann, engine) -> dict[str, int]:
    fall = product(ann, "https://shop.example/fall", "--price", "20", "--name", "Falling kettle")
    gone = product(ann, "https://shop.example/gone", "--price", "7", "--name", "Gone lamp")
    none = product(ann, "https://shop.example/none", "--name", "=Mystery")
    assert ann("cart", "add", str(fall), str(gone), str(none)).exit_code == 0
    assert ann("product", "edit", str(fall), "--price", "15.50").exit_code == 0
    set_stock(engine, gone, "out_of_stock")
    return {"fall": fall, "gone": gone, "none": none}


def test_export_carries_the_new_fields(ann, engine):
    ids = cart_with_history(ann, engine)
    doc = json.loads(ann("cart", "export").stdout)
    by_id = {i["product_id"]: i for i in doc["items"]}
    fall, gone, none = by_id[ids["fall"]], by_id[ids["gone"]], by_id[ids["none"]]
    assert (fall["price_when_added"], fall["price_change"], fall["availability"]) == (
        "20.00",
        "-4.50",
        "unknown",
    )
    assert (gone["availability"], gone["checked_at"]) == ("out_of_stock", "2026-11-24 09:30:00")
    assert (none["price_when_added"], none["price_change"]) == (None, None)

    csv_text = ann("cart", "export", "--format", "csv").stdout
    header, *rows = csv_text.splitlines()
    assert header.endswith(",added_at,price_when_added,price_change,availability,checked_at,own_link")
    assert header.startswith("product_id,name,source,price,currency,quantity,line_total,")
    # A fall starts with "-": written as any such cell is, quoted against formulas (cart import takes it off).
    assert any(r.endswith(",20.00,'-4.50,unknown,,") for r in rows), rows
    assert any(r.endswith(",7.00,0.00,out_of_stock,2026-11-24 09:30:00,") for r in rows), rows


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_round_trips_into_a_fresh_database(ann, engine, tmp_path, fmt):
    from conftest import invoke

    cart_with_history(ann, engine)
    exported = ann("cart", "export", "--format", fmt).stdout
    path = tmp_path / f"cart.{fmt}"
    path.write_text(exported, encoding="utf-8")

    other = f"sqlite:///{tmp_path / 'other.db'}"

    def cli2(*args, input=None):
        return invoke(["--db", other, *args], input=input)

    assert cli2("user", "add", "Bob", "bob@example.com", "--password-stdin", input=PW + "\n").exit_code == 0
    r = cli2("cart", "import", str(path))
    assert r.exit_code == 0, r
    got = {i["name"]: i for i in json.loads(cli2("cart", "list", "--json").stdout)["items"]}
    fall = got["Falling kettle"]
    # The price when added comes from the file; the change follows; the stock is this database's own.
    assert (fall["price"], fall["price_when_added"], fall["price_change"]) == ("15.50", "20.00", "-4.50")
    assert (got["Gone lamp"]["availability"], got["Gone lamp"]["checked_at"]) == ("unknown", None)
    assert got["=Mystery"]["price_when_added"] is None
    # Each product the import stored with a price is one observation of origin "import".
    from ishop4u_cli import db

    other_engine = db.open_database(other)
    try:
        assert sorted(row[1:] for row in observed(other_engine)) == [
            ("15.50", "USD", "unknown", "import"),
            ("7.00", "USD", "unknown", "import"),
        ]
    finally:
        other_engine.dispose()
    # And the export of the imported cart says the same, stock and product ids aside.
    again = json.loads(cli2("cart", "export").stdout) if fmt == "json" else None
    if again is not None:
        first = json.loads(exported)

        def same(doc):
            drop = ("product_id", "added_at", "availability", "checked_at")
            return sorted(({k: v for k, v in i.items() if k not in drop} for i in doc["items"]), key=str)

        assert same(again) == same(first)


def test_import_of_an_older_file_takes_the_price_as_the_price_when_added(ann, engine, tmp_path):
    pid = product(ann, "https://shop.example/stored", "--price", "9")
    path = tmp_path / "old.csv"
    path.write_text(
        "name,url,price,currency,quantity\n"
        "New,https://shop.example/new,4.25,USD,2\n"
        "Stored,https://shop.example/stored,3.00,USD,1\n"
    )
    r = ann("cart", "import", str(path))
    assert r.exit_code == 0, r
    got = {i["name"] if i["product_id"] != pid else "Stored": i for i in items(ann).values()}
    assert (got["New"]["price_when_added"], got["New"]["price_change"]) == ("4.25", "0.00")
    # A stored product stays as it is; the item is added at the file's price.
    assert (got["Stored"]["price"], got["Stored"]["price_when_added"]) == ("9.00", "3.00")
    assert got["Stored"]["price_change"] == "6.00"
    assert [row[-1] for row in observed(engine)] == ["manual", "import"]
    assert observed(engine, pid) == [(pid, "9.00", "USD", "unknown", "manual")]


def test_import_keeps_the_price_when_added_of_an_item_already_in_the_cart(ann, tmp_path):
    pid = product(ann, "https://shop.example/a", "--price", "9")
    assert ann("cart", "add", str(pid)).exit_code == 0
    path = tmp_path / "cart.json"
    path.write_text(
        json.dumps(
            {
                "items": [
                    {
                        "url": "https://shop.example/a",
                        "price": "9.00",
                        "quantity": 4,
                        "price_when_added": "1.00",
                        "price_change": "8.00",
                        "availability": "in_stock",
                        "checked_at": "2026-01-01 00:00:00",
                    }
                ]
            }
        )
    )
    r = ann("cart", "import", str(path))
    assert r.exit_code == 0, r
    item = items(ann)[pid]
    assert (item["quantity"], item["price_when_added"], item["availability"]) == (4, "9.00", "unknown")


def test_import_checks_price_when_added_as_a_price(ann, tmp_path, db_rows):
    path = tmp_path / "cart.json"
    path.write_text(json.dumps({"items": [{"url": "https://shop.example/a", "price_when_added": "-1"}]}))
    before = db_rows()
    r = ann("cart", "import", str(path))
    assert r.exit_code == 2, r
    assert r.stderr.startswith("Error: item 1: not a valid price: '-1'"), r
    assert db_rows() == before
