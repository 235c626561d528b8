"""The cart: one per user, across every store.

Adding is an atomic upsert on the seed's UNIQUE(user_id, product_id):
INSERT ... ON CONFLICT DO UPDATE SET quantity = cart_items.quantity +
excluded.quantity RETURNING quantity. Concurrent adders never lose a unit,
and a total above the limit raises, so the whole transaction rolls back.
The insert also keeps the product's price as it was when the item entered the
cart (price_when_added); the update leaves it, so a re-add keeps the first.
Money is summed here in Decimal, never with SUM() in SQL.

Reading a cart joins each product's page_checks row (by its primary key: the
latest stock and when the page was read), never the price history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, money
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.cart_items import (  # noqa: F401 - QTY_MIN, QTY_MAX: the cart's rules, named here too
    QTY_MAX,
    QTY_MIN,
    ItemRequest,
    check_quantity,
    clean_notes,
)
from ishop4u_cli.services.products import StoredProduct
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import cart_items, page_checks, products, sources

# ---------------------------------------------------------------- adding


@dataclass(frozen=True)
class Added:
    label: str
    product: StoredProduct
    quantity: int  # the quantity in the cart now
    added: int  # what this command added
    product_created: bool
    ignored: tuple[str, ...] = ()  # options given for a product page already stored (kept as it is)


def add_items(
    session: Session,
    *,
    user_id: int,
    requests: Iterable[ItemRequest],
    quantity: int = 1,
    notes: str | None = None,
) -> list[Added]:
    """Add every request in this one transaction; the first bad one raises and nothing stays."""
    check_quantity(quantity)
    note = clean_notes(notes) if notes is not None else None
    resolved: list[tuple[ItemRequest, StoredProduct, bool, tuple[str, ...]]] = []
    for request in requests:
        created, ignored = False, ()
        try:
            if request.new is not None:
                result = products_service.add_product(session, request.new)
                product, created, ignored = result.product, result.created, tuple(result.ignored)
            else:
                assert request.product_id is not None
                product = products_service.get_product(session, request.product_id)
        except (UsageError, NotFound) as exc:
            raise type(exc)(f"{request.label}: {exc}") from None
        resolved.append((request, product, created, ignored))
    # Upsert in product-id order (a stable sort keeps repeats in the order given): two
    # concurrent adds naming the same products in different orders would otherwise lock
    # the cart rows in opposite orders and deadlock on PostgreSQL.
    totals: dict[int, int] = {}
    for index in sorted(range(len(resolved)), key=lambda i: resolved[i][1].id):
        request, product, _, _ = resolved[index]
        total = _upsert(
            session,
            user_id=user_id,
            product=product,
            quantity=quantity,
            notes=note,
            set_notes=notes is not None,
        )
        if total > QTY_MAX:
            raise UsageError(
                f"{request.label}: product {product.id} would have quantity {total} in your cart; "
                f"the most is {QTY_MAX} (nothing was added)"
            )
        totals[index] = total
    return [
        Added(request.label, product, totals[index], quantity, created, ignored)
        for index, (request, product, created, ignored) in enumerate(resolved)
    ]


def _upsert(
    session: Session,
    *,
    user_id: int,
    product: StoredProduct,
    quantity: int,
    notes: str | None,
    set_notes: bool,
) -> int:
    insert = upsert_insert(session, cart_items).values(
        user_id=user_id,
        product_id=product.id,
        quantity=quantity,
        notes=notes,
        price_when_added=product.price,
        currency_when_added=product.currency if product.price is not None else None,
    )
    changes = {"quantity": sa.func.coalesce(cart_items.c.quantity, 1) + insert.excluded.quantity}
    if set_notes:
        changes["notes"] = insert.excluded.notes
    stmt = insert.on_conflict_do_update(
        index_elements=[cart_items.c.user_id, cart_items.c.product_id], set_=changes
    ).returning(cart_items.c.quantity)
    return session.exec(stmt).scalar_one()


# ---------------------------------------------------------------- reading

UNAVAILABLE = ("out_of_stock", "discontinued")  # what cart list marks and checkout warns about


@dataclass(frozen=True)
class CartLine:
    product_id: int
    name: str
    source: str | None  # the source's name
    source_id: int | None
    source_api_name: str | None
    price: Decimal | None
    currency: str
    quantity: int
    line_total: Decimal | None  # None when the product has no price
    affiliate_link: str
    url: str | None  # the normalized product page
    notes: str | None
    added_at: datetime | None
    image_url: str | None = None  # the product's picture, as stored (the checkout page shows it)
    price_when_added: Decimal | None = None  # the price when the product entered this cart
    currency_when_added: str | None = None
    availability: str = "unknown"  # at the latest good read of its page (history.AVAILABILITY)
    checked_at: datetime | None = None  # UTC: that read; None: never read

    @property
    def price_change(self) -> Decimal | None:
        """The price now less the price when added; None when either is missing or the currencies differ."""
        if self.price is None or self.price_when_added is None or self.currency_when_added != self.currency:
            return None
        return self.price - self.price_when_added

    @property
    def unavailable(self) -> bool:
        """Out of stock or discontinued, as its page last said."""
        return self.availability in UNAVAILABLE


@dataclass(frozen=True)
class StoreGroup:
    source: str | None
    source_id: int | None
    lines: list[CartLine]
    subtotals: dict[str, Decimal]  # per currency
    unpriced: int  # lines without a price, not in the subtotals


@dataclass(frozen=True)
class Cart:
    groups: list[StoreGroup]
    totals: dict[str, Decimal]  # per currency, sorted by code
    unpriced: int

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]


def _lines_select(user_id: int) -> sa.Select:
    return (
        sa.select(
            cart_items.c.product_id,
            products.c.name,
            sources.c.name.label("source"),
            products.c.affiliate_source_id.label("source_id"),
            sources.c.api_name.label("source_api_name"),
            products.c.price,
            products.c.currency,
            cart_items.c.quantity,
            products.c.affiliate_link,
            products.c.canonical_url,
            products.c.image_url,
            cart_items.c.notes,
            cart_items.c.added_at,
            cart_items.c.id,
            cart_items.c.price_when_added,
            cart_items.c.currency_when_added,
            page_checks.c.availability,
            page_checks.c.checked_at,
        )
        .select_from(
            cart_items.join(products, products.c.id == cart_items.c.product_id)
            .outerjoin(sources, sources.c.id == products.c.affiliate_source_id)
            .outerjoin(page_checks, page_checks.c.product_id == cart_items.c.product_id)
        )
        .where(cart_items.c.user_id == user_id)
    )


def _row_to_line(row: sa.Row) -> CartLine:
    price = money.from_db(row.price)
    quantity = row.quantity if row.quantity is not None else 1
    return CartLine(
        product_id=row.product_id,
        name=row.name,
        source=row.source,
        source_id=row.source_id,
        source_api_name=row.source_api_name,
        price=price,
        currency=row.currency,
        quantity=quantity,
        line_total=None if price is None else (price * quantity).quantize(money.CENT),
        affiliate_link=row.affiliate_link,
        url=row.canonical_url,
        notes=row.notes,
        added_at=row.added_at,
        image_url=row.image_url,
        price_when_added=money.from_db(row.price_when_added),
        currency_when_added=row.currency_when_added,
        availability=row.availability or "unknown",
        checked_at=row.checked_at,
    )


def get_cart(session: Session, *, user_id: int, source: str | None = None) -> Cart:
    """The user's cart grouped by store (by name; items with no store last)."""
    stmt = _lines_select(user_id)
    if source is not None:
        found = sources_service.find_source(session, source)
        stmt = stmt.where(products.c.affiliate_source_id == found.id)
    rows = session.exec(stmt.order_by(cart_items.c.added_at, cart_items.c.id)).all()
    by_store: dict[int | None, list[CartLine]] = {}
    for row in rows:
        line = _row_to_line(row)
        by_store.setdefault(line.source_id, []).append(line)
    groups = [_group(lines) for lines in by_store.values()]
    groups.sort(key=lambda g: (g.source is None, (g.source or "").lower(), g.source_id or 0))
    priced = [
        (line.currency, line.line_total) for g in groups for line in g.lines if line.line_total is not None
    ]
    return Cart(
        groups=groups,
        totals=money.totals(priced),
        unpriced=sum(g.unpriced for g in groups),
    )


def _group(lines: list[CartLine]) -> StoreGroup:
    priced = [(line.currency, line.line_total) for line in lines if line.line_total is not None]
    return StoreGroup(
        source=lines[0].source,
        source_id=lines[0].source_id,
        lines=lines,
        subtotals=money.totals(priced),
        unpriced=sum(1 for line in lines if line.line_total is None),
    )


def get_line(session: Session, *, user_id: int, product_id: int) -> CartLine:
    row = (
        session.exec(_lines_select(user_id).where(cart_items.c.product_id == product_id)).first()
        if ids.in_range(product_id)
        else None
    )
    if row is None:
        raise NotFound(f"product {product_id} is not in your cart (see: ishop4u cart list)")
    return _row_to_line(row)


@dataclass(frozen=True)
class Selection:
    """Cart items picked for removal, as they were shown before the user was asked."""

    user_id: int
    product_ids: tuple[int, ...]  # in id order: rows are locked in the order `add_items` locks them

    @property
    def count(self) -> int:
        return len(self.product_ids)


def select_items(session: Session, *, user_id: int, source: str | None = None) -> Selection:
    """The items of the cart, or of one source's part of it (`cart clear` asks about these)."""
    stmt = sa.select(cart_items.c.product_id).where(cart_items.c.user_id == user_id)
    if source is not None:
        found = sources_service.find_source(session, source)
        stmt = stmt.where(
            cart_items.c.product_id.in_(
                sa.select(products.c.id).where(products.c.affiliate_source_id == found.id)
            )
        )
    return Selection(user_id, tuple(session.exec(stmt.order_by(cart_items.c.product_id)).scalars()))


# ---------------------------------------------------------------- changing


def update_item(
    session: Session,
    *,
    user_id: int,
    product_id: int,
    quantity: int | None = None,
    notes: str | None = None,
) -> CartLine:
    """Set the quantity and/or the notes ('' clears them) of a product in the cart."""
    if quantity is None and notes is None:
        raise UsageError("nothing to change: give --qty or --notes")
    values: dict[str, object] = {}
    if quantity is not None:
        values["quantity"] = check_quantity(quantity)
    if notes is not None:
        values["notes"] = clean_notes(notes)
    get_line(session, user_id=user_id, product_id=product_id)  # NotFound when it is not there
    session.exec(
        sa.update(cart_items)
        .where(cart_items.c.user_id == user_id, cart_items.c.product_id == product_id)
        .values(**values)
    )
    return get_line(session, user_id=user_id, product_id=product_id)


def remove_items(session: Session, *, user_id: int, product_ids: list[int]) -> list[CartLine]:
    """Remove these products from the cart; NotFound (and nothing removed) if any is not in it."""
    wanted = list(dict.fromkeys(product_ids))
    lookable = [i for i in wanted if ids.in_range(i)]  # the others are in no cart
    rows = session.exec(_lines_select(user_id).where(cart_items.c.product_id.in_(lookable))).all()
    found = {row.product_id: _row_to_line(row) for row in rows}
    missing = [pid for pid in wanted if pid not in found]
    if missing:
        listed = ", ".join(str(pid) for pid in missing)
        noun = "product" if len(missing) == 1 else "products"
        raise NotFound(f"not in your cart: {noun} {listed} (nothing was removed)")
    session.exec(
        sa.delete(cart_items).where(cart_items.c.user_id == user_id, cart_items.c.product_id.in_(wanted))
    )
    return [found[pid] for pid in wanted]


REMOVE_BATCH = 500  # ids per DELETE, far below SQLite's and PostgreSQL's limits on bound parameters


def remove_selected(session: Session, selection: Selection) -> int:
    """Remove exactly the selected items that are still in the cart; how many went.

    An item added after the selection was made stays: another process may have
    added it while the user was being asked about the others.
    """
    removed = 0
    ids = selection.product_ids
    for start in range(0, len(ids), REMOVE_BATCH):
        stmt = sa.delete(cart_items).where(
            cart_items.c.user_id == selection.user_id,
            cart_items.c.product_id.in_(ids[start : start + REMOVE_BATCH]),
        )
        removed += session.exec(stmt).rowcount
    return removed
