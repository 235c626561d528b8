"""Price history: each price (and stock) a product had, and the latest read of its page.

Every way a price is learnt records one observation here: a page read (`product
add`, `cart add`, `refresh`), a manual edit (`product edit --price`), an import,
and the migration that introduced history. `products.price` stays the current
price (the latest good one); history never replaces it.

Times are UTC, stored without a zone (the column type is portable across
SQLite and PostgreSQL), to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ishop4u_cli import money
from ishop4u_cli.tables import observations, page_checks

if TYPE_CHECKING:
    from sqlmodel import Session

# schema.org's availability, as ishop4u names it (JSON and the database).
AVAILABILITY = ("in_stock", "out_of_stock", "preorder", "discontinued", "unknown")
# How an observation was learnt.
ORIGINS = ("page", "manual", "import", "migration")


def now() -> datetime:
    """The current time in UTC, to the second, without a zone (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class Observation:
    observed_at: datetime  # UTC
    price: Decimal | None
    currency: str | None
    availability: str
    origin: str


def observation_row(
    product_id: int,
    *,
    price: Decimal | None,
    currency: str | None,
    origin: str,
    availability: str = "unknown",
    at: datetime | None = None,
    user_id: int | None = None,
) -> dict[str, Any]:
    """One row of `price_observations`, for `record` or a bulk insert of many.

    USER_ID: who recorded it (a price typed, imported or read at add time), None for refresh's reads.
    """
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}")
    if availability not in AVAILABILITY:
        raise ValueError(f"unknown availability {availability!r}")
    return {
        "product_id": product_id,
        "observed_at": at or now(),
        "price": price,
        "currency": currency if price is not None else None,
        "availability": availability,
        "origin": origin,
        "user_id": user_id,
    }


def record(
    session: Session,
    product_id: int,
    *,
    price: Decimal | None,
    currency: str | None,
    origin: str,
    availability: str = "unknown",
    at: datetime | None = None,
    user_id: int | None = None,
) -> None:
    """Add one observation of PRODUCT_ID (in the caller's transaction), USER_ID's when given."""
    session.execute(
        sa.insert(observations),
        [
            observation_row(
                product_id,
                price=price,
                currency=currency,
                origin=origin,
                availability=availability,
                at=at,
                user_id=user_id,
            )
        ],
    )


def record_check(
    session: Session,
    product_id: int,
    *,
    at: datetime,
    availability: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    failure: str | None = None,
) -> None:
    """Remember the latest read of PRODUCT_ID's page: a good one (FAILURE None) or a failed one.

    A good read sets when it was checked, the stock it showed (when given) and the
    page's validators; a failed read records only when and why, and keeps the rest
    (the last good read still stands).
    """
    if failure is None:
        values: dict[str, Any] = {"checked_at": at, "etag": etag, "last_modified": last_modified}
        if availability is not None:
            values["availability"] = availability
    else:
        values = {"failed_at": at, "failure": failure}
    updated = session.execute(
        sa.update(page_checks).where(page_checks.c.product_id == product_id).values(**values)
    )
    if updated.rowcount == 0:
        session.execute(sa.insert(page_checks).values(product_id=product_id, **values))


def history(session: Session, product_id: int) -> list[Observation]:
    """PRODUCT_ID's observations, oldest first (prices exact in cents on both backends)."""
    rows = session.execute(
        sa.select(
            observations.c.observed_at,
            observations.c.price,
            observations.c.currency,
            observations.c.availability,
            observations.c.origin,
        )
        .where(observations.c.product_id == product_id)
        .order_by(observations.c.observed_at, observations.c.id)
    )
    return [
        Observation(at, money.from_db(price), currency, stock, origin)
        for at, price, currency, stock, origin in rows
    ]
