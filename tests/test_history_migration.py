"""Revision 0006's backfill (issue 11), on both backends: a database at 0005 with rows, upgraded.

The migration records one observation (origin "migration") of every priced
product at the time it runs, and gives every item already in a cart its
product's current price as the price when added. The seed's tables keep every
column and row; the downgrade to 0005 takes away only what 0006 added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from conftest import invoke
from migration_helpers import describe, downgrade_to, engine_for, select_rows, upgrade_to

from ishop4u_cli import db

NEW_TABLES = {"price_observations", "page_checks", "price_watches"}
OLD_TABLES = ["users", "affiliate_sources", "products", "cart_items", "sessions"]

# id, name, price (None: unpriced), currency (the 0004 column: NOT NULL, USD by default)
PRODUCTS = [
    (11, "Mug", "12.50", "USD"),
    (12, "Lamp", None, "USD"),  # unpriced: no observation, no price when added
    (13, "Kettle", "0.01", "EUR"),
    (14, "Sofa", "99999999.99", "GBP"),  # the largest NUMERIC(10, 2)
    (15, "Scarf", "7.00", "JPY"),
    (16, "Poster", None, "EUR"),  # unpriced, in no cart
    (17, "Vase", "19.99", "USD"),  # priced, in no cart
]
# id, user_id, product_id, quantity, notes
CART_ITEMS = [
    (1, 1, 11, 2, "for the office"),
    (2, 1, 12, 1, None),
    (3, 1, 13, 5, None),
    (4, 2, 11, 1, "Bob's too"),  # the same product in another user's cart
    (5, 2, 14, 1, None),
    (6, 2, 15, 3, None),
    (7, 2, 16, 1, None),
]
PRICED = {pid: (Decimal(price), currency) for pid, _, price, currency in PRODUCTS if price is not None}


def _at_0005_with_rows(target: str) -> None:
    upgrade_to(target, "0005")
    with engine_for(target) as engine, engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, name, email, password_hash) VALUES "
                "(1, 'Ann', 'ann@example.com', 'x'), (2, 'Bob', 'bob@example.com', 'y')"
            )
        )
        for pid, name, price, currency in PRODUCTS:
            conn.execute(
                sa.text(
                    "INSERT INTO products (id, name, price, currency, affiliate_link, canonical_url) "
                    "VALUES (:id, :name, CAST(:price AS NUMERIC(10, 2)), :currency, :link, :link)"
                ),
                {
                    "id": pid,
                    "name": name,
                    "price": price,
                    "currency": currency,
                    "link": f"https://shop.example/products/{name.lower()}",
                },
            )
        conn.execute(
            sa.text(
                "INSERT INTO cart_items (id, user_id, product_id, quantity, notes) "
                "VALUES (:id, :user_id, :product_id, :quantity, :notes)"
            ),
            [
                dict(zip(("id", "user_id", "product_id", "quantity", "notes"), row, strict=True))
                for row in CART_ITEMS
            ],
        )
        if engine.dialect.name == "postgresql":
            for table in ("users", "products", "cart_items"):
                conn.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) FROM {table}")
                )


def _snapshot(target: str) -> tuple[dict, dict[str, list[tuple]]]:
    """The schema (describe) and every row of the tables that existed at 0005, as the driver gives them."""
    with engine_for(target) as engine:
        schema = describe(engine)
    return schema, {
        table: select_rows(target, table, sorted(schema[table]["columns"])) for table in OLD_TABLES
    }


def _cents(value) -> Decimal | None:
    """A price as the driver returns it (Decimal on PostgreSQL, a number on SQLite) in cents."""
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def _upgrade_with_the_cli(target: str) -> tuple[datetime, datetime]:
    """`ishop4u db upgrade`, as a user runs it; the run's time window in UTC (to the second)."""
    start = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    r = invoke(["--db", target, "db", "upgrade"])
    end = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    assert r.exit_code == 0, r
    assert db.SCHEMA_HEAD in r.stderr
    return start, end


# ---------------------------------------------------------------- the backfill


def test_one_observation_of_every_priced_product_at_migration_time(empty_target):
    _at_0005_with_rows(empty_target)
    start, end = _upgrade_with_the_cli(empty_target)

    from ishop4u_cli.tables import observations

    with engine_for(empty_target) as engine, engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                observations.c.product_id,
                observations.c.observed_at,
                observations.c.price,
                observations.c.currency,
                observations.c.availability,
                observations.c.origin,
            ).order_by(observations.c.id)
        ).all()

    # Exactly one per priced product (in id order), none for the unpriced ones.
    assert [r.product_id for r in rows] == sorted(PRICED)
    for r in rows:
        assert (_cents(r.price), r.currency) == PRICED[r.product_id]
        assert r.origin == "migration"
        assert r.availability == "unknown"  # the migration never read a page
        # The time the migration ran, in UTC, stored without a zone.
        assert r.observed_at.tzinfo is None
        assert start <= r.observed_at <= end, (start, r.observed_at, end)
    assert len({r.observed_at for r in rows}) == 1  # one moment: the migration's
    assert select_rows(empty_target, "page_checks", ["product_id"]) == []
    assert select_rows(empty_target, "price_watches", ["id"]) == []


def test_items_in_carts_get_their_products_price_as_the_price_when_added(empty_target):
    _at_0005_with_rows(empty_target)
    _upgrade_with_the_cli(empty_target)

    rows = select_rows(
        empty_target, "cart_items", ["id", "product_id", "price_when_added", "currency_when_added"]
    )
    got = {item_id: (pid, _cents(price), currency) for item_id, pid, price, currency in rows}
    expected = {
        item_id: (pid, *PRICED.get(pid, (None, None))) for item_id, _user, pid, _qty, _notes in CART_ITEMS
    }
    assert got == expected
    # Spelled out for the unpriced products (items 2 and 7): no price, and no currency either.
    assert got[2] == (12, None, None) and got[7] == (16, None, None)
    assert got[4] == got[1] == (11, Decimal("12.50"), "USD")  # both users' items of product 11


def test_existing_columns_and_rows_are_unchanged(empty_target):
    _at_0005_with_rows(empty_target)
    before_schema, before_rows = _snapshot(empty_target)
    upgrade_to(empty_target, "0006")  # this revision alone: 0007 adds columns of its own
    after_schema, _ = _snapshot(empty_target)

    assert set(after_schema) == set(before_schema) | NEW_TABLES
    for table in OLD_TABLES:
        old, new = before_schema[table], after_schema[table]
        # Every column as it was (type, nullability, default); cart_items gains two, the rest none.
        assert {c: new["columns"][c] for c in old["columns"]} == old["columns"], table
        added = set(new["columns"]) - set(old["columns"])
        assert added == ({"price_when_added", "currency_when_added"} if table == "cart_items" else set())
        for key in ("uniques", "indexes", "fks"):
            assert new[key] == old[key], (table, key)

    # Every row, every old column, exactly as the driver gave it before.
    for table in OLD_TABLES:
        after = select_rows(empty_target, table, sorted(before_schema[table]["columns"]))
        assert after == before_rows[table], table


def test_an_empty_database_at_0005_upgrades_with_nothing_to_backfill(empty_target):
    upgrade_to(empty_target, "0005")
    _upgrade_with_the_cli(empty_target)
    assert select_rows(empty_target, "price_observations", ["id"]) == []
    r = invoke(["--db", empty_target, "db", "current", "--json"])
    assert '"up_to_date": true' in r.stdout


def test_the_upgraded_database_works_and_upgrading_again_adds_nothing(empty_target):
    _at_0005_with_rows(empty_target)
    _upgrade_with_the_cli(empty_target)
    observations_once = select_rows(empty_target, "price_observations", ["id", "product_id", "observed_at"])

    r = invoke(["--db", empty_target, "db", "upgrade"])
    assert r.exit_code == 0, r
    assert (
        select_rows(empty_target, "price_observations", ["id", "product_id", "observed_at"])
        == observations_once
    )

    # New rows get new ids after the backfilled ones (PostgreSQL's sequences were not disturbed).
    r = invoke(
        ["--db", empty_target, "user", "add", "Cy", "cy@example.com", "--password-stdin"],
        input="pw-long-123\n",
    )
    assert r.exit_code == 0, r
    r = invoke(["--db", empty_target, "cart", "add", "https://shop.example/products/kettle", "--no-fetch"])
    assert r.exit_code == 0, r
    items = select_rows(empty_target, "cart_items", ["id", "user_id", "product_id", "price_when_added"])
    assert items[-1][:3] == (8, 3, 13)


# ---------------------------------------------------------------- the downgrade


def test_downgrade_to_0005_removes_the_new_tables_and_columns_and_keeps_the_rows(empty_target):
    _at_0005_with_rows(empty_target)
    before_schema, before_rows = _snapshot(empty_target)
    upgrade_to(empty_target, "0006")

    downgrade_to(empty_target, "0005")

    after_schema, after_rows = _snapshot(empty_target)
    assert not NEW_TABLES & set(after_schema)
    assert "price_when_added" not in after_schema["cart_items"]["columns"]
    assert "currency_when_added" not in after_schema["cart_items"]["columns"]
    assert after_schema == before_schema  # the schema at 0005, exactly
    assert after_rows == before_rows
    assert select_rows(empty_target, "alembic_version", ["version_num"]) == [("0005",)]

    # And up again: the backfill runs once more, from the rows that were kept.
    _upgrade_with_the_cli(empty_target)
    assert [pid for (pid,) in select_rows(empty_target, "price_observations", ["product_id"])] == sorted(
        PRICED
    )
