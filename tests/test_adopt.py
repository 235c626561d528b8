"""Adopting databases that other tools made from the seed schema; refusing ones that differ."""

from __future__ import annotations

import json

import pytest
from conftest import invoke
from migration_helpers import (
    SEED_DDL_POSTGRES,
    SEED_DDL_SQLITE,
    SEED_ROWS,
    describe,
    execute,
    run_script,
    select_rows,
)

from ishop4u_cli import db

SEED_TABLES = ["users", "affiliate_sources", "products", "cart_items"]


def _seed(target: str, *, ddl_edit=lambda ddl: ddl, alembic_revision: str | None = None) -> None:
    engine = db.make_engine(db.to_url(target))
    ddl = SEED_DDL_SQLITE if engine.dialect.name == "sqlite" else SEED_DDL_POSTGRES
    run_script(engine, ddl_edit(ddl))
    run_script(engine, SEED_ROWS)
    if alembic_revision:
        run_script(
            engine,
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);"
            f"INSERT INTO alembic_version VALUES ('{alembic_revision}')",
        )
    engine.dispose()


def _snapshot(target: str):
    engine = db.make_engine(db.to_url(target))
    try:
        schema = describe(engine)
        with engine.connect() as conn:
            rows = {
                t: sorted(tuple(r) for r in conn.exec_driver_sql(f"SELECT * FROM {t}").all())
                for t in SEED_TABLES
                if t in schema
            }
        return schema, rows
    finally:
        engine.dispose()


@pytest.mark.parametrize("foreign_revision", [None, "3f2a9c1b7e44"])
def test_seed_database_is_adopted_with_every_row(empty_target, foreign_revision):
    _seed(empty_target, alembic_revision=foreign_revision)
    _, before = _snapshot(empty_target)

    r = invoke(["--db", empty_target, "db", "upgrade"])
    assert r.exit_code == 0, r
    assert "Adopted" in r.stderr
    assert f"to {db.SCHEMA_HEAD}" in r.stderr

    schema, after = _snapshot(empty_target)
    assert "sessions" in schema and "currency" in schema["products"]["columns"]
    for table in SEED_TABLES:
        # Every seed row is there with its values (new columns come after the seed's;
        # new rows, such as the common stores, come with new ids).
        width, ids = len(before[table][0]), {row[0] for row in before[table]}
        assert [row[:width] for row in after[table] if row[0] in ids] == before[table]

    current = invoke(["--db", empty_target, "db", "current", "--json"])
    assert '"up_to_date": true' in current.stdout

    # The adopted database works: the seed user's cart item is still there, quantity 3.
    engine = db.open_database(empty_target)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT quantity, notes FROM cart_items").one() == (3, "for the office")
        # The seed already had an Amazon row: it was not duplicated.
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM affiliate_sources WHERE api_name='amazon'").scalar()
            == 1
        )
    engine.dispose()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda ddl: ddl.replace("    image_url TEXT,\n", ""), "products lacks image_url"),
        (
            lambda ddl: ddl.replace("    notes TEXT,\n", "    notes TEXT,\n    gift BOOLEAN,\n"),
            "cart_items has columns the seed does not: gift",
        ),
    ],
)
def test_mismatching_database_is_refused_and_untouched(empty_target, edit, expected):
    _seed(empty_target, ddl_edit=edit, alembic_revision="3f2a9c1b7e44")
    before = _snapshot(empty_target)

    r = invoke(["--db", empty_target, "db", "upgrade"])
    assert r.exit_code == 7, r
    assert r.stderr.startswith("Error: cannot adopt this database")
    assert expected in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert _snapshot(empty_target) == before


def test_unrelated_database_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    r = invoke(["--db", str(path), "db", "upgrade"])
    assert r.exit_code == 7
    assert "missing tables users, affiliate_sources, products, cart_items" in r.stderr
    with sqlite3.connect(path) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["notes"]


# ---------------------------------------------------------------- 0005: normalized URLs of adopted rows

SEED_PRODUCTS = [
    (2, "Mug, again", "https://www.amazon.com/dp/B000000001?ref=sr_1_1&tag=other-21"),
    (3, "Lamp", "https://www.etsy.com/listing/123456789/oak-lamp?utm_source=x#reviews"),
    (4, "Broken", "not a url at all"),
]


def _products(target: str) -> dict[int, tuple]:
    rows = select_rows(target, "products", ["id", "name", "affiliate_link", "canonical_url"])
    return {r[0]: tuple(r[1:]) for r in rows}


def _seed_more(target: str) -> None:
    execute(
        target,
        "INSERT INTO products (id, name, affiliate_link, affiliate_source_id) VALUES (:id, :name, :link, NULL)",
        [{"id": pid, "name": name, "link": link} for pid, name, link in SEED_PRODUCTS],
    )


def test_adopted_products_get_their_normalized_url(empty_target):
    _seed(empty_target)
    _seed_more(empty_target)
    r = invoke(["--db", empty_target, "db", "upgrade"])
    assert r.exit_code == 0, r

    rows = _products(empty_target)
    # Normalized as `product add` does: the seed's tag and the tracking noise are gone.
    assert rows[1] == (
        "Mug",
        "https://www.amazon.com/dp/B000000001?tag=seed-20",
        "https://www.amazon.com/dp/B000000001",
    )
    # Row 2 is the same page: both rows stay, the later one without a normalized URL.
    assert rows[2] == ("Mug, again", SEED_PRODUCTS[0][2], None)
    assert rows[3][2] == "https://www.etsy.com/listing/123456789"
    # A link that is no product URL is kept as it is, with no normalized URL.
    assert rows[4] == ("Broken", "not a url at all", None)


def test_adding_a_seed_product_again_finds_it(empty_target):
    _seed(empty_target)
    _seed_more(empty_target)
    assert invoke(["--db", empty_target, "db", "upgrade"]).exit_code == 0
    signed_up = ["--db", empty_target, "user", "add", "Zoe", "zoe@example.com", "--password-stdin"]
    assert invoke(signed_up, input="secret-pw\n").exit_code == 0

    for url, pid in (
        ("https://www.amazon.com/dp/B000000001", 1),
        ("https://www.amazon.com/gp/product/B000000001?tag=seed-20&psc=1", 1),
        ("https://www.etsy.com/listing/123456789/oak-lamp", 3),
    ):
        r = invoke(["--db", empty_target, "product", "add", url, "--no-fetch", "--json"])
        assert r.exit_code == 0, r
        assert f"Product {pid} is already stored for this page" in r.stderr, url
        assert json.loads(r.stdout)["id"] == pid
    assert len(_products(empty_target)) == 4

    # An import of the same pages finds them too.
    r = invoke(
        ["--db", empty_target, "product", "import", "-", "--format", "csv", "--json"],
        input="url\nhttps://www.amazon.com/dp/B000000001?tag=x-20\nhttps://www.etsy.com/listing/123456789\n",
    )
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["already_stored"] == 2
    assert len(_products(empty_target)) == 4


def test_rows_with_a_normalized_url_keep_it(empty_target):
    """A database ishop4u stored rows in at 0004: 0005 fills only the rows without one."""
    from migration_helpers import upgrade_to

    upgrade_to(empty_target, "0004")
    execute(
        empty_target,
        "INSERT INTO products (id, name, affiliate_link, canonical_url) VALUES "
        "(1, 'Old', 'https://www.ebay.com/itm/123456789012?hash=x', NULL), "
        "(2, 'Kept', 'https://www.ebay.com/itm/123456789012', 'https://www.ebay.com/itm/123456789012'), "
        "(3, 'Other', 'https://www.ebay.com/itm/223456789012?hash=y', NULL)",
    )
    assert invoke(["--db", empty_target, "db", "upgrade"]).exit_code == 0
    rows = _products(empty_target)
    assert rows[1][2] is None  # its page belongs to row 2 already
    assert rows[2][2] == "https://www.ebay.com/itm/123456789012"
    assert rows[3][2] == "https://www.ebay.com/itm/223456789012"
