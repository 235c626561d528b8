"""Bulk work through the CLI: product import, cart export and import, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import sqlalchemy as sa
from terminal import run_with_terminal_on

from ishop4u_cli.services import transfer

PW = "transfer-pw-1"

PRODUCTS_CSV = (
    "name,url,price,currency,source,image\n"
    "Blue mug,https://www.amazon.com/dp/B00TEST001?ref=sr_1_1&utm_source=x,19.99,usd,,\n"
    'Shirt "classic",https://shop.example.com/products/shirt?utm_medium=mail,0.10,EUR,,https://img.example.com/s.png\n'
    ",https://www.etsy.com/listing/12345/handmade-blue-mug,,,etsy,\n"
    "Blue mug again,https://www.amazon.com/dp/B00TEST001,5.00,,,\n"
    "Desk,https://www.walmart.com/ip/oak-desk/777,99999999.99,GBP,Walmart,\n"
)


# ---------------------------------------------------------------- helpers


def sign_up(cli, name: str = "Ann", email: str = "ann@example.com") -> None:
    run = cli("user", "add", name, email, "--password-stdin", input=PW + "\n")
    assert run.exit_code == 0, run


def products_json(cli) -> list[dict]:
    run = cli("product", "list", "--json")
    assert run.exit_code == 0, run
    return json.loads(run.stdout)["products"]


def count(engine, table: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


# ---------------------------------------------------------------- product import


def test_product_import_csv_checks_rows_like_product_add(cli, signed_in, tmp_path):
    path = write(tmp_path, "products.csv", PRODUCTS_CSV)
    run = cli("product", "import", str(path))
    assert run.exit_code == 0, run
    assert run.stdout == ""
    assert run.stderr == (
        f"Imported 5 rows from {path}: 4 products added, 0 already stored, 1 repeated in the file.\n"
    )
    got = {p["url"]: p for p in products_json(cli)}
    assert set(got) == {
        "https://www.amazon.com/dp/B00TEST001",
        "https://shop.example.com/products/shirt",
        "https://www.etsy.com/listing/12345",
        "https://www.walmart.com/ip/oak-desk/777",
    }
    mug = got["https://www.amazon.com/dp/B00TEST001"]
    assert (mug["name"], mug["price"], mug["currency"], mug["source"]) == (
        "Blue mug",
        "19.99",
        "USD",
        "Amazon",
    )
    shirt = got["https://shop.example.com/products/shirt"]
    assert (shirt["name"], shirt["price"], shirt["currency"], shirt["source"], shirt["image_url"]) == (
        'Shirt "classic"',
        "0.10",
        "EUR",
        None,
        "https://img.example.com/s.png",
    )
    etsy = got["https://www.etsy.com/listing/12345"]
    # No name given: made from the URL, as `product add --no-fetch` does; no price is no price.
    assert (etsy["name"], etsy["price"], etsy["source"]) == ("handmade blue mug", None, "Etsy")
    desk = got["https://www.walmart.com/ip/oak-desk/777"]
    assert (desk["price"], desk["currency"], desk["source"]) == ("99999999.99", "GBP", "Walmart")


def test_product_import_links_match_product_add(cli, signed_in, db_url, tmp_path):
    """The same URL gets the same stored product and link through import as through `product add`."""
    url = "https://www.amazon.com/dp/B00LINK001?ref=x&utm_source=y"
    cli("source", "edit", "amazon", "--tag", "mytag-20")
    added = cli("product", "add", url, "--name", "Via add", "--price", "1.00", "--no-fetch", "--json")
    assert added.exit_code == 0, added
    via_add = json.loads(added.stdout)
    cli("product", "remove", str(via_add["id"]), "--yes")
    path = write(tmp_path, "one.csv", f"name,url,price\nVia add,{url},1.00\n")
    assert cli("product", "import", str(path)).exit_code == 0
    [via_import] = products_json(cli)
    for key in ("name", "price", "currency", "affiliate_link", "affiliate_source_id", "source", "url"):
        assert via_import[key] == via_add[key], key
    assert "tag=mytag-20" in via_import["affiliate_link"]


def test_product_import_counts_products_already_stored(cli, signed_in, engine, tmp_path):
    first = cli(
        "product",
        "add",
        "https://www.amazon.com/dp/B00TEST001",
        "--name",
        "Old name",
        "--price",
        "7.00",
        "--no-fetch",
    )
    assert first.exit_code == 0, first
    path = write(tmp_path, "products.csv", PRODUCTS_CSV)
    run = cli("product", "import", str(path), "--json")
    assert run.exit_code == 0, run
    assert json.loads(run.stdout) == {"rows": 5, "added": 3, "already_stored": 1, "repeated": 1}
    # The stored product is kept as it was, as `product add` keeps it.
    mug = [p for p in products_json(cli) if p["url"] == "https://www.amazon.com/dp/B00TEST001"]
    assert [(p["name"], p["price"]) for p in mug] == [("Old name", "7.00")]
    again = cli("product", "import", str(path), "--json")
    assert json.loads(again.stdout) == {"rows": 5, "added": 0, "already_stored": 4, "repeated": 1}
    assert count(engine, "products") == 4


def test_product_import_json_lines_from_stdin(cli, signed_in):
    lines = "\n".join(
        [
            '{"url": "https://a.example.com/p/1", "name": "One", "price": "0.10"}',
            "",
            '{"url": "https://a.example.com/p/2", "name": "Two", "price": 19.99, "currency": "eur"}',
            '{"url": "https://a.example.com/p/3", "name": "Three", "price": 5, "image": null}',
            '{"url": "https://a.example.com/p/4", "name": "Four", "price": 99999999.99}',
        ]
    )
    run = cli("product", "import", "-", input=lines + "\n")
    assert run.exit_code == 0, run
    assert (
        run.stderr
        == "Imported 4 rows from stdin: 4 products added, 0 already stored, 0 repeated in the file.\n"
    )
    got = [(p["name"], p["price"], p["currency"]) for p in products_json(cli)]
    assert got == [
        ("One", "0.10", "USD"),
        ("Two", "19.99", "EUR"),
        ("Three", "5.00", "USD"),
        ("Four", "99999999.99", "USD"),
    ]


def test_product_import_default_currency_from_environment(cli, signed_in, tmp_path):
    path = write(tmp_path, "p.csv", "url,price\nhttps://a.example.com/x,3.50\n")
    run = cli("product", "import", str(path), env={"ISHOP4U_CURRENCY": "CHF"})
    assert run.exit_code == 0, run
    assert [(p["price"], p["currency"]) for p in products_json(cli)] == [("3.50", "CHF")]


def test_product_import_format_option_and_content_sniffing(cli, signed_in, tmp_path):
    jsonl = write(tmp_path, "items.txt", '{"url": "https://a.example.com/1", "name": "A"}\n')
    assert cli("product", "import", str(jsonl), "--format", "jsonl").exit_code == 0
    csv_txt = write(tmp_path, "items.data", "\n\nurl,name\nhttps://a.example.com/2,B\n")
    run = cli("product", "import", str(csv_txt))  # no known extension: the content says CSV
    assert run.exit_code == 0, run
    piped = cli("product", "import", "-", input='{"url": "https://a.example.com/3", "name": "C"}\n')
    assert piped.exit_code == 0, piped
    assert [p["name"] for p in products_json(cli)] == ["A", "B", "C"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("\ufeffurl,name\nhttps://a.example.com/4,Déjà vu\n".encode())
    assert cli("product", "import", str(bom)).exit_code == 0
    assert products_json(cli)[-1]["name"] == "Déjà vu"


BAD_ROWS = [
    (
        "url,price\nhttps://a.example.com/1,1.00\nhttps://a.example.com/2,2.00\nhttps://a.example.com/3,1e400\n",
        "Error: row 3 (line 4): not a valid price: '1e400' "
        "(a number from 0 to 99999999.99 with at most two decimal places)\n",
    ),
    ("url,price\nhttps://a.example.com/1,-1\n", "Error: row 1 (line 2): not a valid price: '-1'"),
    ("url,price\nhttps://a.example.com/1,0.001\n", "Error: row 1 (line 2): not a valid price: '0.001'"),
    (
        "url,price\nhttps://a.example.com/1,100000000\n",
        "Error: row 1 (line 2): not a valid price: '100000000'",
    ),
    ("url,price\nhttps://a.example.com/1,NaN\n", "Error: row 1 (line 2): not a valid price: 'NaN'"),
    (
        "url,currency\nhttps://a.example.com/1,XYZ\n",
        "Error: row 1 (line 2): not an ISO 4217 currency code: 'XYZ'",
    ),
    ("url\nftp://a.example.com/1\n", "Error: row 1 (line 2): not a product URL (http or https with a host)"),
    ("url,name\n,Nameless\n", "Error: row 1 (line 2): no url"),
    (
        "url,source\nhttps://a.example.com/1,nosuchstore\n",
        "Error: row 1 (line 2): no source named 'nosuchstore'",
    ),
    ("url,image\nhttps://a.example.com/1,not-a-url\n", "Error: row 1 (line 2): not an image URL"),
    ("url,prise\nhttps://a.example.com/1,1\n", "unknown column 'prise' in the header"),
    ("name,price\nA,1\n", "the header has no 'url' column"),
    (
        "url,price\nhttps://a.example.com/1,1,extra\n",
        "Error: row 1 (line 2): 3 fields, but the header names 2",
    ),
    (
        'url,name\nhttps://a.example.com/1,"' + "x" * 300 + '"\n',
        "Error: row 1 (line 2): a product name has at most 255",
    ),
]


@pytest.mark.parametrize(("content", "expected"), BAD_ROWS)
def test_product_import_bad_csv_row_writes_nothing(cli, signed_in, db_rows, tmp_path, content, expected):
    before = db_rows()
    path = write(tmp_path, "bad.csv", content)
    run = cli("product", "import", str(path))
    assert run.exit_code == 2, run
    assert run.stdout == ""
    assert expected in run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert db_rows() == before


BAD_JSONL = [
    ('{"url": "https://a.example.com/1", "price": 1e400}', "Error: row 1: not a valid price: '1E+400'"),
    ('{"url": "https://a.example.com/1", "price": NaN}', "Error: row 1: not valid JSON"),
    (
        '{"url": "https://a.example.com/1", "price": true}',
        'Error: row 1: price must be a price like "19.99", not true',
    ),
    ('{"url": "https://a.example.com/1", "price": 0.001}', "Error: row 1: not a valid price: '0.001'"),
    ('{"url": "https://a.example.com/1", "name": 12}', "Error: row 1: name must be text, not 12"),
    ('{"url": "https://a.example.com/1", "colour": "red"}', "Error: row 1: unknown field 'colour'"),
    ('["https://a.example.com/1"]', "Error: row 1: not a JSON object"),
    ("{not json", "Error: row 1: not valid JSON"),
]


@pytest.mark.parametrize(("line", "expected"), BAD_JSONL)
def test_product_import_bad_json_line_writes_nothing(cli, signed_in, db_rows, line, expected):
    before = db_rows()
    run = cli("product", "import", "-", "--format", "jsonl", input=line + "\n")
    assert run.exit_code == 2, run
    assert run.stderr.startswith(expected), run
    assert db_rows() == before


def test_product_import_bad_row_after_many_chunks_writes_nothing(cli, signed_in, engine, tmp_path):
    """Earlier chunks were already inserted in the transaction: the failure takes them back too."""
    n = transfer.CHUNK_ROWS * 2 + 10
    lines = ["name,url,price"] + [f"Item {i},https://bulk.example.com/p/{i},{i % 100}.25" for i in range(n)]
    lines.append("Broken,https://bulk.example.com/p/last,12.345")
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    run = cli("product", "import", str(path))
    assert run.exit_code == 2, run
    assert run.stderr == (
        f"Error: row {n + 1} (line {n + 2}): not a valid price: '12.345' "
        "(a number from 0 to 99999999.99 with at most two decimal places)\n"
    )
    assert count(engine, "products") == 0


def test_product_import_uses_bulk_statements(cli, signed_in, engine, tmp_path):
    """One executemany INSERT per chunk of rows, not one INSERT (or flush) per row."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    n = transfer.CHUNK_ROWS * 2 + 500
    rows = "\n".join(f"Item {i},https://bulk.example.com/p/{i},1.00" for i in range(n))
    path = write(tmp_path, "bulk.csv", "name,url,price\n" + rows + "\n")
    inserts: list[tuple[bool, int]] = []
    observed: list[tuple[bool, int]] = []

    def spy(conn, cursor, statement, parameters, context, executemany):
        sql = statement.lstrip().upper()
        for prefix, seen in (("INSERT INTO PRODUCTS", inserts), ("INSERT INTO PRICE_OBSERVATIONS", observed)):
            if sql.startswith(prefix):
                seen.append((executemany, len(parameters) if executemany else 1))

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        run = cli("product", "import", str(path))
    finally:
        event.remove(Engine, "before_cursor_execute", spy)
    assert run.exit_code == 0, run
    assert count(engine, "products") == n
    # A few statements per chunk at most: executemany, or a driver's (or SQLAlchemy's
    # insertmanyvalues, for RETURNING) multi-row statements; never one a row.
    assert len(inserts) <= 3 * 4, inserts
    # Each product's price as one observation, written per chunk the same way.
    assert count(engine, "price_observations") == n
    assert len(observed) <= 3 * 4, observed


def test_product_import_missing_file_and_bad_format(cli, signed_in, tmp_path):
    missing = cli("product", "import", str(tmp_path / "nope.csv"))
    assert (missing.exit_code, missing.stderr) == (3, f"Error: no such file: {tmp_path / 'nope.csv'}\n")
    bad = cli("product", "import", "-", "--format", "xml", input="")
    assert (bad.exit_code, bad.stderr) == (2, "Error: unknown format 'xml': use csv or jsonl\n")
    empty = cli("product", "import", str(write(tmp_path, "empty.csv", "")))
    assert empty.exit_code == 2
    assert "has no header row" in empty.stderr
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("url,name\nhttps://a.example.com/1,caf\xe9\n".encode("latin-1"))
    run = cli("product", "import", str(latin1))
    assert run.exit_code == 2
    assert "is not UTF-8 text" in run.stderr


class _Counting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:  # pragma: no cover - reached only if import fetched pages
        self.hits.append(self.path)
        body = b"<html><head><title>Fetched name</title></head></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_product_import_never_fetches_pages(cli, signed_in):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/products/red-wool-scarf"
        run = cli("product", "import", "-", "--format", "csv", input=f"url\n{url}\n")
    finally:
        server.shutdown()
        server.server_close()
    assert run.exit_code == 0, run
    assert _Counting.hits == []
    assert [p["name"] for p in products_json(cli)] == ["red wool scarf"]


def test_product_import_progress_bar_only_on_a_terminal(signed_in, db_url, tmp_path):
    """stderr a pipe: one line of report. stderr a terminal: a Rich progress bar as well."""
    rows = "\n".join(f"Item {i},https://bar.example.com/p/{i},1.00" for i in range(3000))
    path = write(tmp_path, "bar.csv", "name,url,price\n" + rows + "\n")
    piped = subprocess.run(
        [sys.executable, "-m", "ishop4u_cli", "--db", db_url, "product", "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert (
        piped.stderr
        == f"Imported 3,000 rows from {path}: 3,000 products added, 0 already stored, 0 repeated in the file.\n"
    )

    path2 = write(
        tmp_path, "bar2.csv", "name,url,price\n" + rows.replace("bar.example", "bar2.example") + "\n"
    )
    code, seen, _ = run_with_terminal_on(
        "stderr",
        ["--db", db_url, "product", "import", str(path2)],
        {"TERM": "xterm", "COLUMNS": "120"},
        timeout=120,
    )
    assert code == 0, seen
    assert "Importing products" in seen
    assert "\x1b[" in seen  # drawn (and then cleared) with terminal codes
    assert "Imported 3,000 rows" in seen


# ---------------------------------------------------------------- cart export and import

NOTE = 'gift, for "Zoë" —\nwrap it; ünïcode ✓'


def build_cart(cli, tmp_path) -> None:
    """A cart across stores and currencies, with edge-case prices and a note that tests CSV quoting."""
    sign_up(cli)
    assert cli("source", "add", "Corner Shop", "--api-name", "corner").exit_code == 0
    path = write(
        tmp_path,
        "catalogue.csv",
        "name,url,price,currency,source,image\n"
        "Penny sweet,https://candy.example.com/p/penny,0.10,USD,,https://candy.example.com/i.png\n"
        "Yacht,https://www.amazon.de/dp/B0YACHT001,99999999.99,EUR,,\n"
        "Mystery box,https://www.etsy.com/listing/98765/mystery-box,,USD,,\n"
        "Local bread,https://corner.example.org/bread,3.00,GBP,Corner Shop,\n",
    )
    assert cli("product", "import", str(path)).exit_code == 0
    ids = {p["name"]: str(p["id"]) for p in products_json(cli)}
    assert cli("cart", "add", ids["Penny sweet"], "--qty", "3", "--notes", NOTE).exit_code == 0
    assert cli("cart", "add", ids["Yacht"], "--qty", "9999").exit_code == 0
    assert (
        cli("cart", "add", ids["Mystery box"], ids["Local bread"], "--qty", "2", "--notes", "a,b").exit_code
        == 0
    )
    cli("source", "edit", "amazon", "--tag", "mytag-21")  # a link built with a tag: kept as exported


def export(cli, fmt: str = "json") -> str:
    run = cli("cart", "export", "--format", fmt)
    assert run.exit_code == 0, run
    return run.stdout


def without_ids(doc: dict) -> dict:
    return {**doc, "items": [{k: v for k, v in item.items() if k != "product_id"} for item in doc["items"]]}


def test_cart_export_json_document(cli, signed_in, tmp_path):
    build_cart(cli, tmp_path)
    doc = json.loads(export(cli))
    assert set(doc) == {"items", "totals", "unpriced_items"}
    by_name = {item["name"]: item for item in doc["items"]}
    penny = by_name["Penny sweet"]
    assert {k: v for k, v in penny.items() if k not in ("product_id", "added_at")} == {
        "name": "Penny sweet",
        "source": None,
        "price": "0.10",
        "currency": "USD",
        "quantity": 3,
        "line_total": "0.30",
        "affiliate_link": "https://candy.example.com/p/penny",
        "notes": NOTE,
        "price_when_added": "0.10",
        "price_change": "0.00",
        "availability": "unknown",
        "checked_at": None,
        "url": "https://candy.example.com/p/penny",
        "image_url": "https://candy.example.com/i.png",
        "own_link": None,
    }
    assert by_name["Yacht"]["line_total"] == "999899999900.01"
    assert by_name["Mystery box"]["price"] is None and by_name["Mystery box"]["line_total"] is None
    assert doc["totals"] == [
        {"currency": "EUR", "amount": "999899999900.01"},
        {"currency": "GBP", "amount": "6.00"},
        {"currency": "USD", "amount": "0.30"},
    ]
    assert doc["unpriced_items"] == 1


def test_cart_round_trip_json_into_a_fresh_database(cli, second_db, tmp_path):
    from conftest import invoke

    build_cart(cli, tmp_path)
    exported = export(cli)
    path = write(tmp_path, "cart.json", exported)

    def cli2(*args, input=None):
        return invoke(["--db", second_db, *args], input=input)

    # Another user, signed in on this machine, in a database that has never seen these products.
    assert cli2("user", "add", "Bob", "bob@example.com", "--password-stdin", input=PW + "\n").exit_code == 0
    run = cli2("cart", "import", str(path))
    assert run.exit_code == 0, run
    assert run.stderr == (
        f"Added source Corner Shop (named in {path}).\n"
        f"Imported 4 items from {path}: 4 new in your cart, 0 already in it; "
        "4 products added to the catalogue.\n"
    )
    again = cli2("cart", "export")
    assert without_ids(json.loads(again.stdout)) == without_ids(json.loads(exported))
    # Importing the same file again sets the same quantities: the cart does not change.
    assert cli2("cart", "import", str(path)).exit_code == 0
    assert without_ids(json.loads(cli2("cart", "export").stdout)) == without_ids(json.loads(exported))


def test_cart_round_trip_csv_into_a_fresh_database(cli, second_db, tmp_path):
    from conftest import invoke

    build_cart(cli, tmp_path)
    exported_json = export(cli)
    exported_csv = export(cli, "csv")
    assert exported_csv.splitlines()[0] == ",".join(transfer.CART_COLUMNS)
    assert '"gift, for ""Zoë"" —\nwrap it; ünïcode ✓"' in exported_csv
    path = write(tmp_path, "cart.csv", exported_csv)
    assert (
        invoke(
            ["--db", second_db, "user", "add", "Bob", "bob@example.com", "--password-stdin"], input=PW + "\n"
        ).exit_code
        == 0
    )
    run = invoke(["--db", second_db, "cart", "import", str(path)])
    assert run.exit_code == 0, run
    back_json = json.loads(invoke(["--db", second_db, "cart", "export"]).stdout)
    assert without_ids(back_json) == without_ids(json.loads(exported_json))
    back_csv = invoke(["--db", second_db, "cart", "export", "--format", "csv"]).stdout

    def drop_id(text: str) -> list[str]:
        return [line.split(",", 1)[1] for line in text.splitlines()[1:]]

    assert drop_id(back_csv) == drop_id(exported_csv)


def test_cart_import_sets_quantities_and_keeps_other_items(cli, engine, tmp_path):
    sign_up(cli)
    cli("product", "add", "https://a.example.com/kept", "--name", "Kept", "--price", "1.00", "--no-fetch")
    cli("product", "add", "https://a.example.com/set", "--name", "Set", "--price", "2.00", "--no-fetch")
    cli("cart", "add", "1", "--qty", "4", "--notes", "mine")
    cli("cart", "add", "2", "--qty", "5", "--notes", "old")
    path = write(
        tmp_path,
        "c.csv",
        "url,quantity,notes\nhttps://a.example.com/set,2,new\nhttps://a.example.com/added?utm_source=x,7,\n",
    )
    run = cli("cart", "import", str(path), "--json")
    assert run.exit_code == 0, run
    assert json.loads(run.stdout) == {
        "items": 2,
        "cart_added": 1,
        "cart_updated": 1,
        "products_added": 1,
        "sources_created": [],
    }
    lines = {i["name"]: (i["quantity"], i["notes"]) for i in json.loads(export(cli))["items"]}
    assert lines == {"Kept": (4, "mine"), "Set": (2, "new"), "a.example.com product added": (7, None)}


def test_cart_import_is_for_the_signed_in_user_only(cli, engine, tmp_path):
    path = write(
        tmp_path, "c.json", json.dumps({"items": [{"url": "https://a.example.com/1", "quantity": 2}]})
    )
    run = cli("cart", "import", str(path))
    assert run.exit_code == 4, run
    assert run.stderr.startswith("Error: not signed in")
    assert count(engine, "products") == 0
    assert cli("cart", "export").exit_code == 4


BAD_CART = [
    (
        {"items": [{"url": "https://a.example.com/1"}, {"url": "https://a.example.com/2", "quantity": 0}]},
        "Error: item 2: a quantity is a whole number from 1 to 9999, not 0",
    ),
    (
        {"items": [{"url": "https://a.example.com/1", "quantity": 10000}]},
        "Error: item 1: a quantity is a whole number from 1 to 9999, not 10000",
    ),
    (
        {"items": [{"url": "https://a.example.com/1", "quantity": 1.5}]},
        "Error: item 1: a quantity is a whole number from 1 to 9999, not 1.5",
    ),
    (
        {"items": [{"url": "https://a.example.com/1", "price": "0.001"}]},
        "Error: item 1: not a valid price: '0.001'",
    ),
    (
        {"items": [{"url": "https://a.example.com/1?utm_source=a"}, {"url": "https://a.example.com/1"}]},
        "Error: item 2: the same product as item 1 (https://a.example.com/1)",
    ),
    ({"items": [{"name": "no link"}]}, "Error: item 1: no url or affiliate_link"),
    (
        {"items": [{"url": "https://a.example.com/1", "added_at": "yesterday"}]},
        "Error: item 1: added_at must be",
    ),
    (
        {"items": [{"url": "https://a.example.com/1", "notes": "x" * 1001}]},
        "Error: item 1: notes have at most 1000",
    ),
    (
        {"items": [{"url": "https://a.example.com/1", "colour": "red"}]},
        "Error: item 1: unknown field 'colour'",
    ),
    ({"products": []}, 'not a cart: expected a JSON object with an "items" list'),
]


@pytest.mark.parametrize(("doc", "expected"), BAD_CART)
def test_cart_import_bad_item_writes_nothing(cli, db_rows, tmp_path, doc, expected):
    sign_up(cli)
    cli("product", "add", "https://a.example.com/0", "--name", "Zero", "--no-fetch")
    cli("cart", "add", "1", "--qty", "2")
    before = db_rows()
    path = write(tmp_path, "bad.json", json.dumps(doc))
    run = cli("cart", "import", str(path))
    assert run.exit_code == 2, run
    assert run.stderr.startswith(expected) or expected in run.stderr, run
    assert db_rows() == before


def test_cart_import_bad_csv_row_names_it(cli, db_rows, tmp_path):
    sign_up(cli)
    before = db_rows()
    path = write(
        tmp_path, "bad.csv", "url,quantity\nhttps://a.example.com/1,1\nhttps://a.example.com/2,two\n"
    )
    run = cli("cart", "import", str(path))
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: row 2 (line 3): a quantity is a whole number from 1 to 9999, not 'two'\n",
    )
    assert db_rows() == before


@pytest.mark.parametrize("quantity", ["\u00b2", "0", " 10000 "])
def test_cart_import_csv_quantity_is_read_as_qty_reads_it(cli, db_rows, tmp_path, quantity):
    sign_up(cli)
    before = db_rows()
    path = write(tmp_path, "bad.csv", f"url,quantity\nhttps://a.example.com/1,{quantity}\n")
    run = cli("cart", "import", str(path))
    assert (run.exit_code, run.stderr) == (
        2,
        f"Error: row 1 (line 2): a quantity is a whole number from 1 to 9999, not {quantity!r}\n",
    )
    assert db_rows() == before


def test_cart_export_empty_cart_and_bad_format(cli):
    sign_up(cli)
    assert json.loads(export(cli)) == {"items": [], "totals": [], "unpriced_items": 0}
    assert export(cli, "csv") == ",".join(transfer.CART_COLUMNS) + "\n"
    bad = cli("cart", "export", "--format", "xml")
    assert (bad.exit_code, bad.stderr) == (2, "Error: unknown format 'xml': use json or csv\n")


def test_cart_import_from_stdin_reads_cart_list_json(cli, engine, tmp_path):
    """`cart list --json` (no url field) piped into `cart import -` for another user gives the same lines."""
    build_cart(cli, tmp_path)
    listed = cli("cart", "list", "--json")
    assert listed.exit_code == 0, listed
    sign_up(cli, "Bob", "bob@example.com")
    assert cli("user", "login", "bob@example.com", "--password-stdin", input=PW + "\n").exit_code == 0
    run = cli("cart", "import", "-", input=listed.stdout)
    assert run.exit_code == 0, run
    assert run.stderr.endswith("4 new in your cart, 0 already in it; 0 products added to the catalogue.\n")
    assert count(engine, "products") == 4
    assert count(engine, "cart_items") == 8  # Ann's four lines, and now Bob's
    mine = cli("cart", "list", "--json")

    def strip(doc: str) -> list[dict]:
        return [{k: v for k, v in i.items() if k != "added_at"} for i in json.loads(doc)["items"]]

    assert strip(mine.stdout) == strip(listed.stdout)


def test_cart_import_csv_from_stdin(cli):
    sign_up(cli)
    csv_text = 'url,price,currency,quantity,notes\nhttps://a.example.com/p/1,0.10,usd,3,"x, ""y""\nz"\n'
    run = cli("cart", "import", "-", input=csv_text)
    assert run.exit_code == 0, run
    [item] = json.loads(export(cli))["items"]
    assert (item["price"], item["currency"], item["quantity"], item["notes"], item["line_total"]) == (
        "0.10",
        "USD",
        3,
        'x, "y"\nz',
        "0.30",
    )


@pytest.mark.parametrize("command", [("product", "import"), ("cart", "import")])
def test_import_of_non_utf8_stdin_is_a_usage_error(cli, db_rows, command):
    sign_up(cli)
    before = db_rows()
    run = cli(*command, "-", input="url,name\nhttps://a.example.com/1,caf\xe9\n".encode("latin-1"))
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: stdin is not UTF-8 text: save it as UTF-8 and import it again\n",
    )
    assert db_rows() == before
