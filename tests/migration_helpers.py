"""Helpers for schema tests: open a database by its --db value, run Alembic to a given revision, read
rows, describe a schema, seed DDL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from ishop4u_cli import db, migrate


@contextmanager
def engine_for(target: str) -> Iterator[Engine]:
    """An engine on the database at TARGET (a path or URL), disposed at the end of the block."""
    engine = db.make_engine(db.to_url(target))
    try:
        yield engine
    finally:
        engine.dispose()


def upgrade_to(target: str, revision: str) -> None:
    """Migrate the database at TARGET to REVISION only (to make an older database)."""
    from alembic import command

    with engine_for(target) as engine, engine.begin() as conn:
        command.upgrade(migrate.alembic_config(conn), revision)


def downgrade_to(target: str, revision: str) -> None:
    """Alembic's downgrade, with SQLite's recipe for schema changes that migrate.py follows too:
    foreign keys off (outside the transaction), so batch mode's table copies cascade no deletes."""
    from alembic import command

    with engine_for(target) as engine, engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with conn.begin():
            command.downgrade(migrate.alembic_config(conn), revision)


def execute(target: str, sql: str, params: list[dict] | dict | None = None) -> None:
    """Run SQL (with PARAMS, one dict a row) in one transaction on the database at TARGET."""
    with engine_for(target) as engine, engine.begin() as conn:
        conn.execute(text(sql), params)


def select_rows(target: str, table: str, columns: list[str], *, order_by: str = "1") -> list[tuple]:
    """COLUMNS of every row of TABLE at TARGET, as the driver gives them, in ORDER_BY's order."""
    with engine_for(target) as engine, engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order_by}"))
        ]


def describe(engine: Engine) -> dict:
    """Tables, columns (type, nullability), unique sets, indexes and foreign keys, comparably."""
    insp = inspect(engine)
    out: dict = {}
    for table in sorted(insp.get_table_names()):
        cols = {
            c["name"]: (str(c["type"]).upper(), c["nullable"], str(c.get("default")))
            for c in insp.get_columns(table)
        }
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table))
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(table)
        )
        fks = sorted(
            (tuple(f["constrained_columns"]), f["referred_table"], (f.get("options") or {}).get("ondelete"))
            for f in insp.get_foreign_keys(table)
        )
        out[table] = {"columns": cols, "uniques": uniques, "indexes": indexes, "fks": fks}
    return out


def row_counts(engine: Engine, tables: list[str]) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar() for t in tables}


# The seed's DDL as the iShop4U README gives it (PostgreSQL), and as SQLite
# (where SERIAL would not alias the rowid) Flask-Migrate would have made it.
SEED_DDL_POSTGRES = """
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    email VARCHAR(150) UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE affiliate_sources (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    api_name VARCHAR(100),
    base_url TEXT
);
CREATE TABLE products (
    id SERIAL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    image_url TEXT,
    price DECIMAL(10,2),
    affiliate_link TEXT NOT NULL,
    affiliate_source_id INT REFERENCES affiliate_sources(id) ON DELETE CASCADE
);
CREATE TABLE cart_items (
    id SERIAL PRIMARY KEY,
    user_id INT REFERENCES users(id) ON DELETE CASCADE,
    product_id INT REFERENCES products(id) ON DELETE CASCADE,
    quantity INT DEFAULT 1,
    notes TEXT,
    added_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, product_id)
);
"""

SEED_DDL_SQLITE = SEED_DDL_POSTGRES.replace("SERIAL PRIMARY KEY", "INTEGER PRIMARY KEY")

SEED_ROWS = """
INSERT INTO users (id, name, email, password_hash)
    VALUES (1, 'Ann', 'ann@example.com', 'pbkdf2:sha256:600000$salt$hash');
INSERT INTO affiliate_sources (id, name, api_name, base_url) VALUES (1, 'Amazon', 'amazon', 'https://www.amazon.com');
INSERT INTO products (id, name, price, affiliate_link, affiliate_source_id)
    VALUES (1, 'Mug', 12.50, 'https://www.amazon.com/dp/B000000001?tag=seed-20', 1);
INSERT INTO cart_items (id, user_id, product_id, quantity, notes) VALUES (1, 1, 1, 3, 'for the office');
"""


def run_script(engine: Engine, script: str) -> None:
    with engine.begin() as conn:
        for statement in script.split(";"):
            if statement.strip():
                conn.exec_driver_sql(statement)
