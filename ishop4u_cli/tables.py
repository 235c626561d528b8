"""The SQLAlchemy Core handles of the SQLModel tables, declared once for every service.

The data-access rule: services read and write through SQLAlchemy Core
statements on these tables (`sa.select(products.c.id)`, `sa.insert(users)`,
...) inside the Session they are given, and return plain dataclasses.
ORM objects (models.User, models.Product, ...) never leave a service, and no
service loads one: models.py exists to define the schema (and feed Alembic).

Which transaction a service runs in is the caller's choice: see
db.session_scope and db.run_transaction. Importing this module imports
SQLModel, so only services import it, and commands import services inside the
functions that need them (start-up stays fast).
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from ishop4u_cli.models import (
    AffiliateSource,
    CartItem,
    LoginSession,
    PageCheck,
    PriceObservation,
    PriceWatch,
    Product,
    User,
)

# SQLModel types __table__ loosely (a ClassVar of FromClause); these are Tables.
users = cast(sa.Table, User.__table__)
sources = cast(sa.Table, AffiliateSource.__table__)  # "affiliate_sources"
products = cast(sa.Table, Product.__table__)
cart_items = cast(sa.Table, CartItem.__table__)
sessions = cast(sa.Table, LoginSession.__table__)  # sign-in sessions, not database sessions
observations = cast(sa.Table, PriceObservation.__table__)  # "price_observations": price history
page_checks = cast(sa.Table, PageCheck.__table__)  # the latest read of each product's page
watches = cast(sa.Table, PriceWatch.__table__)  # "price_watches"

__all__ = [
    "cart_items",
    "observations",
    "page_checks",
    "products",
    "sessions",
    "sources",
    "users",
    "watches",
]
