"""Price watches: a user's alert on a product's price, and when it fires.

A watch fires when a good read of the product's price is AT OR BELOW its mark,
in the watch's currency. It fires once per crossing:

- armed (`fired_price` NULL) and price <= mark: fire; remember the price;
- fired, and the price falls below the lowest price alerted so far: fire again
  (a new low), remember it; the same price or a higher one still at or below
  the mark says nothing;
- the price goes back above the mark: re-arm (the next crossing fires).

A price in another currency than the watch's is never compared: it neither
fires nor re-arms. A failed read never reaches `evaluate`, so the next good
read is compared with the last good one.

`--drop PERCENT` is turned into a mark once, when the watch is set: the current
price less PERCENT, rounded DOWN to the cent, so that the mark is never above
the exact threshold (a 10% drop from 9.99 alerts at 8.99, not at 8.991).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, money
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import history
from ishop4u_cli.services import products as products_service
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import products, watches

PERCENT_RULE = "a number above 0 and below 100 with at most two decimal places"
_PERCENT_TEXT = re.compile(r"(?:\d+(?:\.\d{0,2})?|\.\d{1,2})")


@dataclass(frozen=True)
class Alert:
    """A watch that fires now."""

    product_id: int
    product_name: str
    price: Decimal  # the price just read
    currency: str
    mark: Decimal  # the watch's mark, in the same currency
    kind: str  # "below" | "drop": how the watch was set
    drop_percent: Decimal | None
    new_low: bool  # fired again because the price fell below the last alerted low


@dataclass(frozen=True)
class Rule:
    """What `product watch` was asked: exactly one of BELOW (a price) and DROP (a percentage)."""

    below: Decimal | None = None
    drop: Decimal | None = None


@dataclass(frozen=True)
class Watch:
    product_id: int
    product_name: str
    below: Decimal | None  # --below, as given
    drop_percent: Decimal | None  # --drop, as given
    mark: Decimal  # fires at or below this price
    currency: str  # the watch's currency (the product's when it was set)
    created_at: datetime | None
    fired_price: Decimal | None  # the lowest price alerted since the last crossing; None: armed
    fired_at: datetime | None
    price: Decimal | None  # the product's current price
    price_currency: str  # ... and its currency

    @property
    def kind(self) -> str:
        return "drop" if self.drop_percent is not None else "below"

    @property
    def fired(self) -> bool:
        return self.fired_price is not None


@dataclass(frozen=True)
class Watched:
    """What `product watch` did."""

    watch: Watch
    replaced: bool  # the product had a watch already (its rule was replaced, and it is armed again)


# ---------------------------------------------------------------- parsing


def parse_rule(*, below: str | None, drop: str | None) -> Rule:
    """Check `product watch`'s options; UsageError (exit 2) naming the first bad one."""
    if (below is None) == (drop is None):
        raise UsageError("give exactly one of --below PRICE and --drop PERCENT")
    if below is not None:
        mark = money.parse_price(below)
        if mark == 0:
            raise UsageError(f"not a valid --below price: {below!r} (a watch needs a mark above 0)")
        return Rule(below=mark)
    assert drop is not None
    return Rule(drop=parse_percent(drop))


def parse_percent(text: str) -> Decimal:
    """'10' -> Decimal('10'), '12.5' -> Decimal('12.5'); UsageError unless 0 < p < 100, two decimals at most."""
    raw = text.strip().removesuffix("%").strip()
    value = None
    if _PERCENT_TEXT.fullmatch(raw):
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            value = None
    if value is None or not 0 < value < 100:
        raise UsageError(f"not a valid --drop percentage: {text!r} ({PERCENT_RULE})")
    return value


def drop_mark(price: Decimal, percent: Decimal) -> Decimal:
    """PRICE less PERCENT, rounded down to the cent (never above the exact threshold)."""
    return (price * (100 - percent) / 100).quantize(money.CENT, rounding=ROUND_DOWN)


# ---------------------------------------------------------------- setting, removing, listing


def watch(
    session: Session,
    *,
    user_id: int,
    product_id: int,
    below: Decimal | None = None,
    drop: Decimal | None = None,
) -> Watched:
    """Set USER_ID's watch on PRODUCT_ID (replacing one it had, armed again); NotFound for no product.

    BELOW (a price, in the product's currency) or DROP (a percentage of the current price), as
    `parse_rule` checked them.
    """
    rule = Rule(below=below, drop=drop)
    if (rule.below is None) == (rule.drop is None):
        raise UsageError("give exactly one of --below PRICE and --drop PERCENT")
    product = products_service.get_product(session, product_id)
    if rule.drop is not None:
        if product.price is None:
            raise UsageError(
                f"product {product_id} has no current price to drop from; "
                f"give --below PRICE instead (or set one: ishop4u product edit {product_id} --price PRICE)"
            )
        mark = drop_mark(product.price, rule.drop)
        if mark <= 0:
            raise UsageError(
                f"a {rule.drop}% drop from {money.format_amount(product.price, product.currency)} "
                "leaves no price above 0 to watch for; give --below PRICE instead"
            )
    else:
        assert rule.below is not None
        mark = rule.below
    replaced = _watch_row(session, user_id, product_id) is not None
    values = {
        "user_id": user_id,
        "product_id": product_id,
        "below": rule.below,
        "drop_percent": rule.drop,
        "mark": mark,
        "currency": product.currency,
        "created_at": history.now(),
        "fired_price": None,
        "fired_at": None,
    }
    insert = upsert_insert(session, watches).values(**values)
    session.execute(
        insert.on_conflict_do_update(
            index_elements=[watches.c.user_id, watches.c.product_id],
            set_={key: insert.excluded[key] for key in values if key not in ("user_id", "product_id")},
        )
    )
    found = _list(session, user_id=user_id, product_id=product_id)
    return Watched(watch=found[0], replaced=replaced)


def unwatch(session: Session, *, user_id: int, product_id: int) -> Watch:
    """Remove USER_ID's watch on PRODUCT_ID; NotFound when there is none (or no such product)."""
    found = _list(session, user_id=user_id, product_id=product_id) if ids.in_range(product_id) else []
    if not found:
        products_service.get_product(session, product_id)  # no such product: say that
        raise NotFound(f"you have no watch on product {product_id} (see: ishop4u product watches)")
    session.execute(
        sa.delete(watches).where(watches.c.user_id == user_id, watches.c.product_id == product_id)
    )
    return found[0]


def list_watches(session: Session, *, user_id: int) -> list[Watch]:
    """USER_ID's watches, by product id, with each product's current price."""
    return _list(session, user_id=user_id)


def _watch_row(session: Session, user_id: int, product_id: int) -> sa.Row | None:
    return session.execute(
        sa.select(watches.c.id).where(watches.c.user_id == user_id, watches.c.product_id == product_id)
    ).first()


def _list(session: Session, *, user_id: int, product_id: int | None = None) -> list[Watch]:
    stmt = (
        sa.select(
            watches.c.product_id,
            products.c.name,
            watches.c.below,
            watches.c.drop_percent,
            watches.c.mark,
            watches.c.currency,
            watches.c.created_at,
            watches.c.fired_price,
            watches.c.fired_at,
            products.c.price,
            products.c.currency.label("price_currency"),
        )
        .join(products, products.c.id == watches.c.product_id)
        .where(watches.c.user_id == user_id)
        .order_by(watches.c.product_id)
    )
    if product_id is not None:
        stmt = stmt.where(watches.c.product_id == product_id)
    return [
        Watch(
            product_id=row.product_id,
            product_name=row.name,
            below=money.from_db(row.below),
            drop_percent=money.from_db(row.drop_percent),  # two decimals, read back as a price is
            mark=money.from_db(row.mark) or Decimal("0.00"),
            currency=row.currency,
            created_at=row.created_at,
            fired_price=money.from_db(row.fired_price),
            fired_at=row.fired_at,
            price=money.from_db(row.price),
            price_currency=row.price_currency,
        )
        for row in session.execute(stmt)
    ]


# ---------------------------------------------------------------- evaluating a good read


def evaluate(
    session: Session, *, user_id: int, product_id: int, price: Decimal, currency: str, at: datetime
) -> list[Alert]:
    """In the caller's transaction (the one recording a good read): update USER_ID's watches on PRODUCT_ID,
    return the alerts that fire now.
    """
    rows = session.execute(
        sa.select(
            watches.c.id,
            watches.c.mark,
            watches.c.currency,
            watches.c.drop_percent,
            watches.c.fired_price,
            products.c.name,
        )
        .join(products, products.c.id == watches.c.product_id)
        .where(watches.c.user_id == user_id, watches.c.product_id == product_id)
        .with_for_update(of=watches)  # two runs at once cannot both fire one crossing (PostgreSQL)
    ).all()
    price = price.quantize(money.CENT)
    alerts: list[Alert] = []
    for row in rows:
        if row.currency != currency:
            continue  # never compared across currencies: no alert, no re-arming
        mark = money.from_db(row.mark)
        fired = money.from_db(row.fired_price)
        assert mark is not None
        if price > mark:
            if fired is not None:  # back above the mark: the next crossing fires
                session.execute(
                    sa.update(watches).where(watches.c.id == row.id).values(fired_price=None, fired_at=None)
                )
            continue
        if fired is not None and price >= fired:
            continue  # still low, no lower than already alerted
        session.execute(
            sa.update(watches).where(watches.c.id == row.id).values(fired_price=price, fired_at=at)
        )
        drop = money.from_db(row.drop_percent)  # two decimals, read back as a price is
        alerts.append(
            Alert(
                product_id=product_id,
                product_name=row.name,
                price=price,
                currency=currency,
                mark=mark,
                kind="drop" if drop is not None else "below",
                drop_percent=drop,
                new_low=fired is not None,
            )
        )
    return alerts
