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

from ishop4u_cli.models import AffiliateSource, CartItem, LoginSession, Product, User

# SQLModel types __table__ loosely (a ClassVar of FromClause); these are Tables.
users = cast(sa.Table, User.__table__)
sources = cast(sa.Table, AffiliateSource.__table__)  # "affiliate_sources"
products = cast(sa.Table, Product.__table__)
cart_items = cast(sa.Table, CartItem.__table__)
sessions = cast(sa.Table, LoginSession.__table__)  # sign-in sessions, not database sessions

__all__ = ["cart_items", "products", "sessions", "sources", "users"]
