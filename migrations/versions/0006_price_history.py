"""Fresh prices: price history, the latest read of each page, price watches, the price an item was added at.

New tables:
- `price_observations`: each price (and stock) a product had, when, and how it
  was learnt (page, manual, import, migration), indexed by product and time;
- `page_checks`: one row per product, the latest read of its page (when, the
  stock it showed, the page's ETag and Last-Modified for conditional requests,
  the last failure and its reason);
- `price_watches`: a user's alert on a product's price.

`cart_items` gains `price_when_added` and `currency_when_added`: the product's
price when it first entered that cart. The seed's four tables gain columns
only; none is removed or changed.

Backfill, at the time the migration runs (UTC): one observation (origin
"migration") of every product that has a price, and, for every item already
in a cart, the product's current price as the price when added.

The downgrade drops the three tables and the two columns.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRICE = sa.Numeric(10, 2, asdecimal=True)


def upgrade() -> None:
    op.create_table(
        "price_observations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey(
                "products.id", ondelete="CASCADE", name="fk_price_observations_product_id_products"
            ),
            nullable=False,
        ),
        sa.Column("observed_at", sa.DateTime(), nullable=False),
        sa.Column("price", PRICE, nullable=True),
        sa.Column("currency", sa.String(3), nullable=True),
        sa.Column("availability", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_price_observations"),
    )
    op.create_index(
        "ix_price_observations_product_id_observed_at",
        "price_observations",
        ["product_id", "observed_at", "id"],
    )
    op.create_table(
        "page_checks",
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey("products.id", ondelete="CASCADE", name="fk_page_checks_product_id_products"),
            autoincrement=False,
        ),
        sa.Column("checked_at", sa.DateTime(), nullable=True),
        sa.Column("availability", sa.String(16), nullable=False, server_default="unknown"),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("product_id", name="pk_page_checks"),
    )
    op.create_table(
        "price_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_price_watches_user_id_users"),
            nullable=False,
        ),
        sa.Column(
            "product_id",
            sa.Integer(),
            sa.ForeignKey("products.id", ondelete="CASCADE", name="fk_price_watches_product_id_products"),
            nullable=False,
        ),
        sa.Column("below", PRICE, nullable=True),
        sa.Column("drop_percent", sa.Numeric(5, 2, asdecimal=True), nullable=True),
        sa.Column("mark", PRICE, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=True),
        sa.Column("fired_price", PRICE, nullable=True),
        sa.Column("fired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_price_watches"),
        sa.UniqueConstraint("user_id", "product_id", name="uq_price_watches_user_id_product_id"),
    )
    op.add_column("cart_items", sa.Column("price_when_added", PRICE, nullable=True))
    op.add_column("cart_items", sa.Column("currency_when_added", sa.String(3), nullable=True))

    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    op.execute(
        sa.text(
            "INSERT INTO price_observations (product_id, observed_at, price, currency, availability, origin) "
            "SELECT id, :now, price, currency, 'unknown', 'migration' FROM products "
            "WHERE price IS NOT NULL ORDER BY id"
        ).bindparams(now=now)
    )
    op.execute(
        "UPDATE cart_items SET "
        "price_when_added = (SELECT price FROM products WHERE products.id = cart_items.product_id), "
        "currency_when_added = (SELECT currency FROM products WHERE products.id = cart_items.product_id "
        "AND products.price IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("cart_items") as batch:
        batch.drop_column("currency_when_added")
        batch.drop_column("price_when_added")
    op.drop_table("price_watches")
    op.drop_table("page_checks")
    op.drop_index("ix_price_observations_product_id_observed_at", table_name="price_observations")
    op.drop_table("price_observations")
