"""`ishop4u product history`: the table, the summary, JSON, and the chart on a terminal (both backends)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from refresh_server import add_product
from terminal import run_with_terminal_on

T0 = datetime(2026, 11, 1, 8, 0, 0)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def observe(engine, product_id: int, *reads: tuple[str | None, str, str, str]) -> None:
    """Replace PRODUCT_ID's history by READS (price, currency, availability, origin), an hour apart."""
    import sqlalchemy as sa

    from ishop4u_cli import db
    from ishop4u_cli.services import history
    from ishop4u_cli.tables import observations

    with db.session_scope(engine) as session:
        session.execute(sa.delete(observations).where(observations.c.product_id == product_id))
        for hours, (price, currency, availability, origin) in enumerate(reads):
            history.record(
                session,
                product_id,
                price=Decimal(price) if price is not None else None,
                currency=currency,
                availability=availability,
                origin=origin,
                at=T0 + timedelta(hours=hours),
            )


@pytest.fixture(autouse=True)
def no_size_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal's own size, as a user's shell has it (pytest-xdist workers set COLUMNS=80)."""
    for name in ("COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)


READS = [
    ("25.00", "USD", "in_stock", "page"),
    ("19.99", "USD", "in_stock", "manual"),
    ("19.99", "USD", "out_of_stock", "page"),
    (None, None, "unknown", "page"),
    ("1299.50", "USD", "preorder", "import"),
    ("21.00", "USD", "in_stock", "page"),
]


@pytest.fixture
def mug(cli, engine) -> int:
    pid = add_product(cli, "https://shop.example/mug", "--name", "[sale] Mug", "--price", "21")
    observe(engine, pid, *READS)
    return pid


def test_table_and_summary_when_piped(cli, signed_in, mug):
    r = cli("product", "history", str(mug))
    assert r.exit_code == 0, r
    assert r.stdout.splitlines() == [
        "Product 1: [sale] Mug",
        "Time (UTC)               Price   Currency   Stock          Origin",
        "─" * 65,
        "2026-11-01 08:00:00      25.00   USD        in stock       page",
        "2026-11-01 09:00:00      19.99   USD        in stock       manual",
        "2026-11-01 10:00:00      19.99   USD        out of stock   page",
        "2026-11-01 11:00:00   no price              unknown        page",
        "2026-11-01 12:00:00   1,299.50   USD        preorder       import",
        "2026-11-01 13:00:00      21.00   USD        in stock       page",
        "Lowest:  19.99 USD on 2026-11-01 09:00:00 UTC",
        "Highest: 1,299.50 USD on 2026-11-01 12:00:00 UTC",
        "Current: 21.00 USD",
    ]  # no chart, no colour
    assert "\x1b" not in r.stdout
    assert r.stderr == ""


def test_json(cli, signed_in, mug):
    r = cli("product", "history", str(mug), "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert doc["product"] == {
        "id": mug,
        "name": "[sale] Mug",
        "price": "21.00",
        "currency": "USD",
        "url": "https://shop.example/mug",
    }
    assert doc["observations"][:2] == [
        {
            "observed_at": "2026-11-01 08:00:00",
            "price": "25.00",
            "currency": "USD",
            "availability": "in_stock",
            "origin": "page",
        },
        {
            "observed_at": "2026-11-01 09:00:00",
            "price": "19.99",
            "currency": "USD",
            "availability": "in_stock",
            "origin": "manual",
        },
    ]
    assert doc["observations"][3] == {
        "observed_at": "2026-11-01 11:00:00",
        "price": None,
        "currency": None,
        "availability": "unknown",
        "origin": "page",
    }
    assert len(doc["observations"]) == len(READS)
    assert doc["lowest"] == {"price": "19.99", "currency": "USD", "observed_at": "2026-11-01 09:00:00"}
    assert doc["highest"] == {"price": "1299.50", "currency": "USD", "observed_at": "2026-11-01 12:00:00"}
    assert doc["current"] == {"price": "21.00", "currency": "USD"}


def test_another_currency_is_listed_but_not_compared(cli, signed_in, engine):
    pid = add_product(
        cli, "https://shop.example/lamp", "--name", "Lamp", "--price", "30", "--currency", "EUR"
    )
    observe(
        engine,
        pid,
        ("5.00", "USD", "in_stock", "page"),
        ("40.00", "EUR", "in_stock", "page"),
        ("30.00", "EUR", "in_stock", "page"),
    )
    r = cli("product", "history", str(pid))
    assert r.exit_code == 0, r
    assert r.stdout.splitlines()[-4:] == [
        "Lowest:  30.00 EUR on 2026-11-01 10:00:00 UTC",
        "Highest: 40.00 EUR on 2026-11-01 09:00:00 UTC",
        "Current: 30.00 EUR",
        "(1 observation in another currency than EUR not compared)",
    ]
    doc = json.loads(cli("product", "history", str(pid), "--json").stdout)
    assert doc["lowest"]["price"] == "30.00"


def test_no_observations_says_so(cli, signed_in, engine):
    pid = add_product(cli, "https://shop.example/new", "--name", "New")
    observe(engine, pid)
    r = cli("product", "history", str(pid))
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == f"Product {pid} (New) has no price history yet (ishop4u refresh records it).\n"
    doc = json.loads(cli("product", "history", str(pid), "--json").stdout)
    assert doc["observations"] == [] and doc["lowest"] is None and doc["current"] is None


@pytest.mark.parametrize("product_id", ["999", "99999999999"])
def test_unknown_product_exits_3(cli, product_id):
    r = cli("product", "history", product_id)
    assert r.exit_code == 3
    assert r.stderr == f"Error: no product with id {product_id} (see: ishop4u product list)\n"


def test_chart_on_a_terminal_fits_80_columns(cli, signed_in, mug):
    code, screen, err = run_with_terminal_on(
        "stdout", ["--db", cli.db_url, "product", "history", str(mug)], columns=80
    )
    assert (code, err) == (0, "")
    plain = ANSI.sub("", screen)
    lines = plain.splitlines()
    assert "Current: 21.00 USD" in lines
    chart = lines[lines.index("Current: 21.00 USD") + 1 :]
    assert any("[sale] Mug (USD)" in line for line in chart)  # the chart's title
    assert any("┌" in line for line in chart) and any("└" in line for line in chart)
    assert any("2026-11-01 08:00:00" in line for line in chart)  # the time axis
    assert max(len(line) for line in lines) <= 80
    assert "\x1b[" in screen  # colour on a terminal


def test_no_chart_on_a_narrow_terminal_or_with_one_price(cli, signed_in, engine, mug):
    code, screen, _ = run_with_terminal_on(
        "stdout", ["--db", cli.db_url, "product", "history", str(mug)], columns=30
    )
    assert code == 0
    assert "┌" not in screen and "Current: 21.00 USD" in ANSI.sub("", screen)

    observe(engine, mug, ("21.00", "USD", "in_stock", "page"))
    code, screen, _ = run_with_terminal_on(
        "stdout", ["--db", cli.db_url, "product", "history", str(mug)], columns=80
    )
    assert code == 0
    assert "┌" not in screen and "Current: 21.00 USD" in ANSI.sub("", screen)


def test_the_chart_draws_a_price_as_held_until_the_next_read(cli, signed_in, engine, mug):
    """10.00, then 20.00 an hour later: a flat line, then a step up at the second read; never a slope."""
    observe(engine, mug, ("10.00", "USD", "in_stock", "page"), ("20.00", "USD", "in_stock", "page"))
    code, screen, _ = run_with_terminal_on(
        "stdout", ["--db", cli.db_url, "product", "history", str(mug)], columns=80
    )
    assert code == 0
    lines = ANSI.sub("", screen).splitlines()
    top = next(n for n, line in enumerate(lines) if "┌" in line)
    bottom = next(n for n, line in enumerate(lines) if "└" in line)
    left = lines[top].index("┌") + 1
    rows = [line[left:].rstrip().rstrip("│") for line in lines[top + 1 : bottom]]
    inked = [[col for col, ch in enumerate(row) if "\u2801" <= ch <= "\u28ff"] for row in rows]
    flat = max(inked, key=len)  # the row of 10.00, held for the whole hour
    width = max(flat)
    assert len(flat) > width * 0.9
    for cols in inked:
        if cols is not flat:  # every other row: only the step at the right edge, nothing in between
            assert all(col >= width - 1 for col in cols), (cols, rows)
