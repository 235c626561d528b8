"""Adopting databases that other tools made from the seed schema; refusing ones that differ."""

from __future__ import annotations

import pytest
from conftest import invoke
from migration_helpers import SEED_DDL_POSTGRES, SEED_DDL_SQLITE, SEED_ROWS, describe, run_script

from ishop4u_cli import db

SEED_TABLES = ["users", "affiliate_sources", "products", "cart_items"]


@pytest.fixture
def empty_target(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        return str(tmp_path / "seed.db")
    return request.getfixturevalue("fresh_postgres_url")


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
