"""Safe to share: admins, who created each product, each user's own links, sessions that expire.

- `users.is_admin`: the database's admins (the first account created is one;
  an existing database makes its oldest account, the lowest id, its admin);
  `users.db_role`: the PostgreSQL role an account belongs to (`db secure`).
- `products.created_by` and `products.edited_by`: who created the product (its
  link, URL and removal are theirs and the admins') and who last corrected its
  name or price. Products stored before are made the oldest account's (the
  admin's), so a single-user database goes on exactly as before.
- `cart_items.affiliate_link`: the link the user pasted for this cart line,
  when it carries an affiliate id (it is theirs: nobody else checks out with it).
- `sessions.last_used_at`: sessions expire after a time unused; existing
  sessions count as used when they were created.
- `price_observations.user_id`: who recorded an observation (NULL: the migration
  or nobody signed in).

Foreign keys to users are ON DELETE SET NULL: removing an account keeps the
products and history it created. The seed's tables gain columns only.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("db_role", sa.String(63), nullable=True))
    op.execute("UPDATE users SET is_admin = TRUE WHERE id = (SELECT MIN(id) FROM users)")

    with op.batch_alter_table("products") as batch:
        batch.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("edited_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_products_created_by_users", "users", ["created_by"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            "fk_products_edited_by_users", "users", ["edited_by"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_products_created_by", "products", ["created_by"])
    op.execute("UPDATE products SET created_by = (SELECT MIN(id) FROM users)")

    with op.batch_alter_table("cart_items") as batch:
        batch.add_column(sa.Column("affiliate_link", sa.Text(), nullable=True))

    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("last_used_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE sessions SET last_used_at = created_at")

    with op.batch_alter_table("price_observations") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_price_observations_user_id_users", "users", ["user_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("price_observations") as batch:
        batch.drop_constraint("fk_price_observations_user_id_users", type_="foreignkey")
        batch.drop_column("user_id")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("last_used_at")
    with op.batch_alter_table("cart_items") as batch:
        batch.drop_column("affiliate_link")
    op.drop_index("ix_products_created_by", table_name="products")
    with op.batch_alter_table("products") as batch:
        batch.drop_constraint("fk_products_edited_by_users", type_="foreignkey")
        batch.drop_constraint("fk_products_created_by_users", type_="foreignkey")
        batch.drop_column("edited_by")
        batch.drop_column("created_by")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("db_role")
        batch.drop_column("is_admin")
