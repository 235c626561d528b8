"""Products: an ISO 4217 currency, the normalized URL stored once, an index by source.

Existing rows get USD and no normalized URL (it is filled when the product is
next added or edited).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("products", sa.Column("currency", sa.String(3), nullable=False, server_default="USD"))
    op.add_column("products", sa.Column("canonical_url", sa.Text(), nullable=True))
    # A unique index, not a constraint: SQLite adds it without copying the table.
    op.create_index("uq_products_canonical_url", "products", ["canonical_url"], unique=True)
    op.create_index("ix_products_affiliate_source_id", "products", ["affiliate_source_id"])


def downgrade() -> None:
    op.drop_index("ix_products_affiliate_source_id", table_name="products")
    op.drop_index("uq_products_canonical_url", table_name="products")
    with op.batch_alter_table("products") as batch:
        batch.drop_column("canonical_url")
        batch.drop_column("currency")
