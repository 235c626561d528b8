"""SQLModel tables: the iShop4U seed schema plus ishop4u's own revisions.

The migrations in migrations/versions/ are the source of truth for the schema;
tests/test_schema.py fails when these models drift from them. Services use
these tables through ishop4u_cli/tables.py (SQLAlchemy Core), never these
classes as ORM objects.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

# Constraint names come from this convention so later migrations can alter
# them on SQLite (batch mode). It must be set before any table is defined.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION

PRICE_TYPE = sa.Numeric(10, 2, asdecimal=True)


def _now_default() -> sa.Column:
    return sa.Column(sa.DateTime(), server_default=sa.func.current_timestamp(), nullable=True)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    email: str = Field(sa_column=sa.Column(sa.String(150), nullable=False, unique=True))
    password_hash: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_default())
    # Revision 0007: the database's admins, and the PostgreSQL role an account belongs to.
    is_admin: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false())
    )
    db_role: str | None = Field(default=None, sa_column=sa.Column(sa.String(63), nullable=True))


class AffiliateSource(SQLModel, table=True):
    __tablename__ = "affiliate_sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    api_name: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    base_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    # Revision 0003: the owner's affiliate tracking id (Amazon tag, EPN campid, ...)
    # and, for stores reached through a network, a link template.
    tracking_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(100), nullable=True))
    link_template: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class Product(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = (
        sa.Index("ix_products_affiliate_source_id", "affiliate_source_id"),
        sa.Index("uq_products_canonical_url", "canonical_url", unique=True),
        sa.Index("ix_products_created_by", "created_by"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    image_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    price: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE_TYPE, nullable=True))
    affiliate_link: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    affiliate_source_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer(), sa.ForeignKey("affiliate_sources.id", ondelete="CASCADE"), nullable=True
        ),
    )
    # Revision 0004: an ISO 4217 code, and the normalized product URL that makes
    # "the same product page is stored once" a database rule.
    currency: str = Field(
        default="USD",
        sa_column=sa.Column(sa.String(3), nullable=False, server_default="USD"),
    )
    canonical_url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    # Revision 0007: who created the product (its link, URL and removal are theirs and the
    # admins'), and who last corrected its name or price.
    created_by: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )
    edited_by: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_items"
    __table_args__ = (sa.UniqueConstraint("user_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    )
    product_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=True),
    )
    quantity: int | None = Field(
        default=None, sa_column=sa.Column(sa.Integer(), server_default="1", nullable=True)
    )
    notes: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    added_at: datetime | None = Field(default=None, sa_column=_now_default())
    # Revision 0006: the product's price when it first entered this cart (a re-add keeps it).
    price_when_added: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE_TYPE, nullable=True))
    currency_when_added: str | None = Field(default=None, sa_column=sa.Column(sa.String(3), nullable=True))
    # Revision 0007: the link this user pasted for this line, when it carries an affiliate id.
    affiliate_link: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class LoginSession(SQLModel, table=True):
    """Revision 0002: a signed-in session; the database keeps only a hash of the token."""

    __tablename__ = "sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    token_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    created_at: datetime | None = Field(default=None, sa_column=_now_default())
    # Revision 0007: sessions expire after a time unused.
    last_used_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(), nullable=True))


class PriceObservation(SQLModel, table=True):
    """Revision 0006: what a product's price and stock were at a time, and how that was learnt."""

    __tablename__ = "price_observations"
    __table_args__ = (
        sa.Index("ix_price_observations_product_id_observed_at", "product_id", "observed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    )
    observed_at: datetime = Field(sa_column=sa.Column(sa.DateTime(), nullable=False))  # UTC
    price: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE_TYPE, nullable=True))
    currency: str | None = Field(default=None, sa_column=sa.Column(sa.String(3), nullable=True))
    # in_stock, out_of_stock, preorder, discontinued, unknown (services/history.AVAILABILITY)
    availability: str = Field(
        default="unknown",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="unknown"),
    )
    origin: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))  # page, manual, import, migration
    # Revision 0007: who recorded it (NULL: the migration, or nobody signed in).
    user_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    )


class PageCheck(SQLModel, table=True):
    """Revision 0006: the latest read of a product's page (one row per product)."""

    __tablename__ = "page_checks"

    product_id: int = Field(
        sa_column=sa.Column(
            sa.Integer(),
            sa.ForeignKey("products.id", ondelete="CASCADE"),
            primary_key=True,
            autoincrement=False,
        )
    )
    checked_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(), nullable=True))
    availability: str = Field(
        default="unknown",
        sa_column=sa.Column(sa.String(16), nullable=False, server_default="unknown"),
    )
    etag: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    last_modified: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    failed_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(), nullable=True))
    failure: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))


class PriceWatch(SQLModel, table=True):
    """Revision 0006: a user's alert on a product's price (at or below MARK, in CURRENCY)."""

    __tablename__ = "price_watches"
    __table_args__ = (sa.UniqueConstraint("user_id", "product_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    )
    product_id: int = Field(
        sa_column=sa.Column(sa.Integer(), sa.ForeignKey("products.id", ondelete="CASCADE"), nullable=False)
    )
    below: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE_TYPE, nullable=True))
    drop_percent: Decimal | None = Field(
        default=None, sa_column=sa.Column(sa.Numeric(5, 2, asdecimal=True), nullable=True)
    )
    mark: Decimal = Field(sa_column=sa.Column(PRICE_TYPE, nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.String(3), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_now_default())
    # The lowest price alerted since the price last went under the mark; NULL: armed.
    fired_price: Decimal | None = Field(default=None, sa_column=sa.Column(PRICE_TYPE, nullable=True))
    fired_at: datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(), nullable=True))
