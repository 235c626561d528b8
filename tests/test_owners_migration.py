"""Revision 0007's backfill (issue 14), on both backends: a database at 0006 with rows, upgraded.

The oldest account (the lowest id) becomes the admin; every product stored
before is that account's; every session counts as last used when it was
created. Nothing else changes, and the downgrade to 0006 keeps every row.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from conftest import invoke
from migration_helpers import downgrade_to, engine_for, execute, select_rows, upgrade_to

# Ann's account is the older one though it was created later: "oldest" is the lowest id, as 0007 says.
USERS = [
    (4, "Ann", "ann@example.com", datetime(2024, 5, 1, 9, 0, 0)),
    (7, "Bob", "bob@example.com", datetime(2024, 3, 1, 9, 0, 0)),
]
PRODUCTS = [(11, "Mug", "12.50"), (12, "Lamp", None), (13, "Kettle", "3.00")]
CART_ITEMS = [(1, 4, 11, 2), (2, 7, 11, 1), (3, 7, 13, 1)]
SESSIONS = [  # ids from the sequence: a session made after the upgrade must get a free one
    (4, "a" * 64, datetime(2025, 1, 2, 3, 4, 5)),
    (7, "b" * 64, datetime(2025, 6, 7, 8, 9, 10)),
]
OLD_COLUMNS = {
    "users": ["id", "name", "email", "password_hash", "created_at"],
    "products": ["id", "name", "price", "currency", "affiliate_link", "canonical_url", "affiliate_source_id"],
    "cart_items": ["id", "user_id", "product_id", "quantity", "notes", "price_when_added"],
    "sessions": ["id", "user_id", "token_hash", "created_at"],
    "price_observations": ["id", "product_id", "price", "currency", "origin"],
}
NEW_COLUMNS = {
    "users": {"is_admin", "db_role"},
    "products": {"created_by", "edited_by"},
    "cart_items": {"affiliate_link"},
    "sessions": {"last_used_at"},
    "price_observations": {"user_id"},
}


def _at_0006_with_rows(target: str, *, users: bool = True) -> None:
    upgrade_to(target, "0006")
    if users:
        execute(
            target,
            "INSERT INTO users (id, name, email, password_hash, created_at) VALUES (:id, :n, :e, 'x', :at)",
            [{"id": i, "n": n, "e": e, "at": at} for i, n, e, at in USERS],
        )
    execute(
        target,
        "INSERT INTO products (id, name, price, currency, affiliate_link, canonical_url) "
        "VALUES (:id, :n, CAST(:p AS NUMERIC(10, 2)), 'USD', :link, :link)",
        [{"id": i, "n": n, "p": p, "link": f"https://shop.example/p/{i}"} for i, n, p in PRODUCTS],
    )
    execute(
        target,
        "INSERT INTO price_observations (product_id, observed_at, price, currency, availability, origin) "
        "VALUES (:pid, :at, CAST(:p AS NUMERIC(10, 2)), 'USD', 'unknown', 'manual')",
        [{"pid": i, "p": p, "at": datetime(2025, 1, 1)} for i, _, p in PRODUCTS if p is not None],
    )
    if users:
        execute(
            target,
            "INSERT INTO cart_items (id, user_id, product_id, quantity) VALUES (:id, :u, :p, :q)",
            [{"id": i, "u": u, "p": p, "q": q} for i, u, p, q in CART_ITEMS],
        )
        execute(
            target,
            "INSERT INTO sessions (user_id, token_hash, created_at) VALUES (:u, :h, :at)",
            [{"u": u, "h": h, "at": at} for u, h, at in SESSIONS],
        )


def _rows(target: str, table: str, columns: list[str]) -> list[tuple]:
    return select_rows(target, table, columns, order_by="id")


def _when(value: datetime | str | None) -> datetime | None:
    """A time as the driver returns it (a datetime on PostgreSQL, text on SQLite from plain SQL)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _columns(target: str, table: str) -> set[str]:
    with engine_for(target) as engine:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}


def _old_rows(target: str) -> dict[str, list[tuple]]:
    return {table: _rows(target, table, columns) for table, columns in OLD_COLUMNS.items()}


def _upgrade_with_the_cli(target: str) -> None:
    r = invoke(["--db", target, "db", "upgrade"])
    assert r.exit_code == 0, r


def test_the_oldest_account_becomes_admin_and_owns_the_products(empty_target):
    _at_0006_with_rows(empty_target)
    before = _old_rows(empty_target)
    _upgrade_with_the_cli(empty_target)

    assert _rows(empty_target, "users", ["id", "is_admin", "db_role"]) == [(4, True, None), (7, False, None)]
    assert _rows(empty_target, "products", ["id", "created_by", "edited_by"]) == [
        (11, 4, None),
        (12, 4, None),
        (13, 4, None),
    ]
    assert [(u, _when(at)) for u, at in _rows(empty_target, "sessions", ["user_id", "last_used_at"])] == [
        (u, at) for u, _, at in SESSIONS
    ]
    assert _rows(empty_target, "cart_items", ["id", "affiliate_link"]) == [(1, None), (2, None), (3, None)]
    assert {r[0] for r in _rows(empty_target, "price_observations", ["user_id"])} == {None}
    assert _old_rows(empty_target) == before  # every column the database had keeps its values


def test_without_accounts_products_have_no_creator_and_the_first_account_is_admin(empty_target):
    _at_0006_with_rows(empty_target, users=False)
    _upgrade_with_the_cli(empty_target)
    assert _rows(empty_target, "products", ["id", "created_by"]) == [(11, None), (12, None), (13, None)]
    r = invoke(
        ["--db", empty_target, "user", "add", "Cy", "cy@example.com", "--password-stdin"],
        input="cys-own-pw\n",
    )
    assert r.exit_code == 0, r
    assert "an admin" in r.stderr
    assert _rows(empty_target, "users", ["email", "is_admin"]) == [("cy@example.com", True)]


def test_an_account_added_after_the_upgrade_is_not_admin(empty_target):
    _at_0006_with_rows(empty_target)
    _upgrade_with_the_cli(empty_target)
    r = invoke(
        ["--db", empty_target, "user", "add", "Cy", "cy@example.com", "--password-stdin"],
        input="cys-own-pw\n",
    )
    assert r.exit_code == 0, r
    assert "an admin" not in r.stderr
    admins = [email for email, admin in _rows(empty_target, "users", ["email", "is_admin"]) if admin]
    assert admins == ["ann@example.com"]


def test_downgrade_to_0006_removes_the_new_columns_and_keeps_the_rows(empty_target):
    _at_0006_with_rows(empty_target)
    before = _old_rows(empty_target)
    _upgrade_with_the_cli(empty_target)
    downgrade_to(empty_target, "0006")
    for table, added in NEW_COLUMNS.items():
        assert not (_columns(empty_target, table) & added), table
    assert _old_rows(empty_target) == before
    r = invoke(["--db", empty_target, "db", "current"])
    assert r.exit_code == 0 and "0006" in r.stdout, r
