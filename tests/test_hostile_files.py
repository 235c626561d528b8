"""Files an import must not trust (issue 14): files that never end, lines that never end,
headers as wide as a line can be; and cart exports whose cells a spreadsheet would run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ishop4u_cli.services.transfer import formats, inputs

# ---------------------------------------------------------------- files that never end


@pytest.mark.parametrize("command", [["product", "import"], ["cart", "import"]])
def test_a_device_is_refused_without_reading_it(cli, db_rows, command):
    before = db_rows()
    r = cli(*command, "/dev/zero", "--format", "csv")
    assert r.exit_code == 2, r
    assert r.stderr == (
        "Error: /dev/zero is not a regular file (a device, pipe or socket): import reads files, or stdin with -\n"
    )
    assert db_rows() == before


def test_a_fifo_is_refused_without_waiting_for_a_writer(cli, tmp_path):
    fifo = tmp_path / "products.csv"
    os.mkfifo(fifo)
    r = cli("product", "import", str(fifo))
    assert r.exit_code == 2, r
    assert "is not a regular file" in r.stderr


def test_a_symlink_to_a_regular_file_is_read(cli, signed_in, tmp_path):
    real = tmp_path / "real.csv"
    real.write_text("url\nhttps://shop.example/products/mug\n")
    link = tmp_path / "link.csv"
    link.symlink_to(real)
    r = cli("product", "import", str(link), "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["added"] == 1


def test_endless_stdin_without_a_line_end_stops_at_the_line_cap(cli, signed_in, db_rows, tmp_path):
    # /dev/zero on stdin: NUL characters and no newline, for ever.
    with open("/dev/zero", "rb") as zero:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ishop4u_cli",
                "--db",
                cli.db_url,
                "product",
                "import",
                "-",
                "--format",
                "csv",
            ],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 2, proc
    assert proc.stderr == (
        f"Error: stdin: line 1 is longer than {inputs.MAX_LINE_CHARS:,} characters: not a file to import\n"
    )
    assert db_rows()["products"] == []


def test_a_long_line_in_a_file_is_refused(cli, signed_in, tmp_path, monkeypatch):
    monkeypatch.setattr(inputs, "MAX_LINE_CHARS", 1000)
    path = tmp_path / "p.jsonl"
    path.write_text('{"url": "https://shop.example/a"}\n{"name": "' + "x" * 2000 + '"}\n')
    r = cli("product", "import", str(path))
    assert r.exit_code == 2, r
    assert r.stderr == f"Error: {path}: line 2 is longer than 1,000 characters: not a file to import\n"


def test_a_cart_document_has_a_size_cap(cli, signed_in, tmp_path, monkeypatch):
    from ishop4u_cli.services.transfer import cart

    monkeypatch.setattr(cart, "MAX_DOCUMENT_CHARS", 100)
    path = tmp_path / "cart.json"
    path.write_text('{"items": [\n' + '{"url": "https://shop.example/a"},\n' * 10 + "{}]}\n")
    r = cli("cart", "import", str(path))
    assert r.exit_code == 2, r
    assert r.stderr == f"Error: {path}: more than 100 characters: not a cart to import\n"


def test_a_header_repeating_a_column_80000_times_is_refused_at_once(cli, signed_in, db_rows, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["url"] * 80_000) + "\n")
    r = cli("product", "import", str(path))
    assert r.exit_code == 2, r
    assert r.stderr == (
        f"Error: {path}: the header names 80,000 columns, more than {formats.MAX_COLUMNS}"
        " (the columns are: name, url, price, currency, source, image)\n"
    )


def test_a_repeated_column_is_named(cli, signed_in, tmp_path):
    path = tmp_path / "twice.csv"
    path.write_text("name,url,price,URL\n")
    r = cli("product", "import", str(path))
    assert r.exit_code == 2, r
    assert r.stderr == f"Error: {path}: the column 'url' appears twice in the header\n"


def test_repeated_columns_are_found_in_one_pass():
    # Every column known, 100 of them, the repeat at the very end: found without comparing all pairs.
    header = ["url", "name", "price", "currency", "source", "image"] * 16 + ["url"] * 4
    rows = formats.csv_rows(
        "f.csv",
        iter([",".join(header) + "\n"]),
        columns=("name", "url", "price", "currency", "source", "image"),
        required=("url",),
    )
    with pytest.raises(Exception, match="the column 'url' appears twice"):
        next(rows)


def test_reading_a_file_still_streams_and_rewinds(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("url\nhttps://a.example/1\nhttps://a.example/2\n")
    with inputs.open_input(str(path)) as source:
        assert list(source.text) == ["url\n", "https://a.example/1\n", "https://a.example/2\n"]
        source.rewind()
        assert next(iter(source.text)) == "url\n"
        assert source.size == Path(path).stat().st_size


# ---------------------------------------------------------------- spreadsheet formulas

FORMULA_NAMES = ['=HYPERLINK("https://evil.example/","Click")', "+1 555 0100", "-20% mug", "@SUM(A1:A9)"]


def test_cart_export_csv_neutralises_formulas_and_import_gives_them_back(cli, signed_in, tmp_path):
    import csv
    import io

    names = [*FORMULA_NAMES, "'=quoted already", "'90s mug", "Plain mug"]
    for n, name in enumerate(names, start=1):
        r = cli("product", "add", f"https://shop.example/products/p{n}", "--no-fetch", "--name", name)
        assert r.exit_code == 0, r
        notes = "=cmd|' /C calc'!A0" if n == 1 else f"note {n}"
        assert cli("cart", "add", str(n), "--notes", notes).exit_code == 0
    r = cli("cart", "export", "--format", "csv")
    assert r.exit_code == 0, r
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [row["name"] for row in rows] == [
        "'" + FORMULA_NAMES[0],
        "'+1 555 0100",
        "'-20% mug",
        "'@SUM(A1:A9)",
        "''=quoted already",
        "'90s mug",
        "Plain mug",
    ]
    assert rows[0]["notes"] == "'=cmd|' /C calc'!A0"
    for row in rows:  # no cell a spreadsheet would run
        assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in row.values())

    # Import into another database: the names and notes are as they were, quotes taken off.
    export = tmp_path / "cart.csv"
    export.write_text(r.stdout)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    from conftest import invoke

    assert (
        invoke(
            ["--db", other, "user", "add", "Ann", "ann@example.com", "--password-stdin"], input="pw-123456\n"
        ).exit_code
        == 0
    )
    r = invoke(["--db", other, "cart", "import", str(export)])
    assert r.exit_code == 0, r
    listed = json.loads(invoke(["--db", other, "cart", "list", "--json"]).stdout)["items"]
    assert sorted(item["name"] for item in listed) == sorted(names)
    assert {item["notes"] for item in listed} >= {"=cmd|' /C calc'!A0"}
    again = invoke(["--db", other, "cart", "export", "--format", "csv"]).stdout
    assert again == export.read_text()


def test_formula_safe_round_trips_every_cell():
    from hypothesis import given
    from hypothesis import strategies as st

    @given(st.text(alphabet=st.sampled_from("'=+-@\t\rab 1"), max_size=8) | st.text(max_size=20))
    def check(cell: str) -> None:
        safe = formats.formula_safe(cell)
        assert safe[:1] not in ("=", "+", "-", "@", "\t", "\r")
        assert formats.from_formula_safe(safe) == cell

    check()
