"""Affiliate sources: the owner's tracking id and link template; the common stores.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here on purpose: a migration must not change when the app's code does.
COMMON_STORES = [
    ("Amazon", "amazon", "https://www.amazon.com"),
    ("AliExpress", "aliexpress", "https://www.aliexpress.com"),
    ("eBay", "ebay", "https://www.ebay.com"),
    ("Walmart", "walmart", "https://www.walmart.com"),
    ("Etsy", "etsy", "https://www.etsy.com"),
]


def upgrade() -> None:
    # ADD COLUMN needs no table copy, even on SQLite.
    op.add_column("affiliate_sources", sa.Column("tracking_id", sa.String(100), nullable=True))
    op.add_column("affiliate_sources", sa.Column("link_template", sa.Text(), nullable=True))

    sources = sa.table(
        "affiliate_sources",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("api_name", sa.String()),
        sa.column("base_url", sa.Text()),
    )
    conn = op.get_bind()
    for name, api_name, base_url in COMMON_STORES:
        exists = conn.execute(
            sa.select(sources.c.id).where(
                sa.or_(
                    sa.func.lower(sources.c.api_name) == api_name,
                    sa.func.lower(sources.c.name) == name.lower(),
                )
            )
        ).first()
        if exists is None:
            conn.execute(sources.insert().values(name=name, api_name=api_name, base_url=base_url))


def downgrade() -> None:
    with op.batch_alter_table("affiliate_sources") as batch:
        batch.drop_column("link_template")
        batch.drop_column("tracking_id")
