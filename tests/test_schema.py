"""The schema: exactly the seed's tables under Alembic, no drift, real cascades."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from migration_helpers import describe
from sqlalchemy import inspect

from ishop4u_cli import db, migrate

SEED_TABLES = ["affiliate_sources", "cart_items", "products", "users"]


@pytest.fixture
def first_revision_engine(empty_target):
    """A database migrated to revision 0001 only: the seed schema as ishop4u creates it."""
    from migration_helpers import engine_for, upgrade_to

    upgrade_to(empty_target, "0001")
    with engine_for(empty_target) as engine:
        yield engine


def test_first_revision_is_exactly_the_seed_schema(first_revision_engine):
    schema = describe(first_revision_engine)
    assert sorted(schema) == ["affiliate_sources", "alembic_version", "cart_items", "products", "users"]

    def cols(table):
        return {name: (typ, nullable) for name, (typ, nullable, _default) in schema[table]["columns"].items()}

    assert cols("users") == {
        "id": ("INTEGER", False),
        "name": ("VARCHAR(100)", False),
        "email": ("VARCHAR(150)", False),
        "password_hash": ("TEXT", False),
        "created_at": (
            "TIMESTAMP" if first_revision_engine.dialect.name == "postgresql" else "DATETIME",
            True,
        ),
    }
    assert cols("affiliate_sources") == {
        "id": ("INTEGER", False),
        "name": ("VARCHAR(100)", False),
        "api_name": ("VARCHAR(100)", True),
        "base_url": ("TEXT", True),
    }
    assert cols("products") == {
        "id": ("INTEGER", False),
        "name": ("VARCHAR(255)", False),
        "image_url": ("TEXT", True),
        "price": ("NUMERIC(10, 2)", True),
        "affiliate_link": ("TEXT", False),
        "affiliate_source_id": ("INTEGER", True),
    }
    assert set(cols("cart_items")) == {"id", "user_id", "product_id", "quantity", "notes", "added_at"}
    assert cols("cart_items")["quantity"] == ("INTEGER", True)

    # Defaults: quantity 1, timestamps set on insert.
    assert "1" in schema["cart_items"]["columns"]["quantity"][2]
    assert "CURRENT_TIMESTAMP" in schema["users"]["columns"]["created_at"][2].upper()
    assert "CURRENT_TIMESTAMP" in schema["cart_items"]["columns"]["added_at"][2].upper()

    assert schema["users"]["uniques"] == [("email",)]
    assert schema["cart_items"]["uniques"] == [("user_id", "product_id")]
    assert schema["products"]["fks"] == [(("affiliate_source_id",), "affiliate_sources", "CASCADE")]
    assert schema["cart_items"]["fks"] == [
        (("product_id",), "products", "CASCADE"),
        (("user_id",), "users", "CASCADE"),
    ]


def test_constraint_names_follow_the_naming_convention(first_revision_engine):
    insp = inspect(first_revision_engine)
    assert [u["name"] for u in insp.get_unique_constraints("cart_items")] == [
        "uq_cart_items_user_id_product_id"
    ]
    fk_names = sorted(f["name"] for f in insp.get_foreign_keys("cart_items"))
    assert fk_names == ["fk_cart_items_product_id_products", "fk_cart_items_user_id_users"]


def test_newest_revision_adds_only_new_tables_and_columns(engine):
    schema = describe(engine)
    assert sorted(schema) == sorted(
        [*SEED_TABLES, "alembic_version", "sessions", "price_observations", "page_checks", "price_watches"]
    )
    assert set(schema["cart_items"]["columns"]) == {
        "id",
        "user_id",
        "product_id",
        "quantity",
        "notes",
        "added_at",
        "price_when_added",
        "currency_when_added",
        "affiliate_link",
    }
    assert set(schema["products"]["columns"]) == {
        "id",
        "name",
        "image_url",
        "price",
        "affiliate_link",
        "affiliate_source_id",
        "currency",
        "canonical_url",
        "created_by",
        "edited_by",
    }


def test_models_match_the_migrations(engine):
    """The drift check `alembic check` makes: migrations at head vs the SQLModel models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    importlib.import_module("ishop4u_cli.models")  # defines the tables in SQLModel.metadata

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, SQLModel.metadata)
    assert diff == []


def test_fast_path_head_matches_alembic_head():
    assert migrate.head_revision() == db.SCHEMA_HEAD


def test_new_database_comes_with_the_common_stores(engine):
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT name, api_name FROM affiliate_sources ORDER BY id").all()
    assert [tuple(r) for r in rows] == [
        ("Amazon", "amazon"),
        ("AliExpress", "aliexpress"),
        ("eBay", "ebay"),
        ("Walmart", "walmart"),
        ("Etsy", "etsy"),
    ]


def _seed_rows(engine):
    with db.session_scope(engine) as s:
        conn = s.connection()
        conn.exec_driver_sql(
            "INSERT INTO users (id, name, email, password_hash) VALUES (100, 'Ann', 'a@x.io', 'h')"
        )
        conn.exec_driver_sql("INSERT INTO affiliate_sources (id, name) VALUES (100, 'Shop')")
        conn.exec_driver_sql(
            "INSERT INTO products (id, name, price, affiliate_link, affiliate_source_id) "
            "VALUES (100, 'Mug', 12.50, 'https://shop.example/mug', 100)"
        )
        conn.exec_driver_sql("INSERT INTO cart_items (user_id, product_id) VALUES (100, 100)")


def _count(engine, table):
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()


def test_deleting_a_user_cascades_to_the_cart(engine):
    _seed_rows(engine)
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT quantity, added_at FROM cart_items").one()
    assert row[0] == 1 and row[1] is not None  # the seed's defaults
    with db.session_scope(engine) as s:
        s.connection().exec_driver_sql("DELETE FROM users WHERE id = 100")
    assert _count(engine, "cart_items") == 0
    assert _count(engine, "products") == 1


def test_deleting_a_source_cascades_to_products_and_carts(engine):
    _seed_rows(engine)
    with db.session_scope(engine) as s:
        s.connection().exec_driver_sql("DELETE FROM affiliate_sources WHERE id = 100")
    assert _count(engine, "products") == 0
    assert _count(engine, "cart_items") == 0


def test_price_round_trips_exactly(engine):
    from sqlmodel import select

    from ishop4u_cli.models import Product

    with db.session_scope(engine) as s:
        s.add(Product(name="Big", price=Decimal("99999999.99"), affiliate_link="https://x.example/1"))
        s.add(Product(name="Small", price=Decimal("0.10"), affiliate_link="https://x.example/2"))
    with db.session_scope(engine) as s:
        prices = sorted(p.price.quantize(Decimal("0.01")) for p in s.exec(select(Product)))
    assert prices == [Decimal("0.10"), Decimal("99999999.99")]
