"""The cart: one per user, across every store.

Adding is in services/cart_add.py (an atomic upsert). Each
line checks out with the link services/line_links.py gives it: the user's own
pasted link, the product's link when it is theirs or ours, else one built from
the source's tracking id, never another user's affiliate id.
Money is summed here in Decimal, never with SUM() in SQL.

Reading a cart joins each product's page_checks row (by its primary key: the
latest stock and when the page was read), never the price history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, money
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import line_links
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.cart_items import check_quantity, clean_notes
from ishop4u_cli.tables import cart_items, page_checks, products, sources

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
    affiliate_link: str | None  # the link THIS user checks out with (line_links); None: none they may have
    url: str | None  # the normalized product page
    notes: str | None
    added_at: datetime | None
    image_url: str | None = None  # the product's picture, as stored (the checkout page shows it)
    price_when_added: Decimal | None = None  # the price when the product entered this cart
    currency_when_added: str | None = None
    availability: str = "unknown"  # at the latest good read of its page (history.AVAILABILITY)
    checked_at: datetime | None = None  # UTC: that read; None: never read
    own_link: str | None = None  # the link the user pasted for this line (cart_items.affiliate_link)
    personal_link: bool = False  # affiliate_link is the user's own: never put in a store-cart link
    link_problem: str | None = None  # why there is no link

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
    tracking_id: str | None = None  # the source's, as read with the lines (checkout's store-cart links)


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
            products.c.created_by,
            cart_items.c.affiliate_link.label("own_link"),
            cart_items.c.user_id,
            sources.c.tracking_id,
            sources.c.link_template,
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
    link = line_links.line_link(
        user_id=row.user_id,
        own_link=row.own_link,
        stored_link=row.affiliate_link,
        canonical_url=row.canonical_url,
        created_by=row.created_by,
        tracking_id=row.tracking_id,
        link_template=row.link_template,
    )
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
        affiliate_link=link.url,
        url=row.canonical_url,
        notes=row.notes,
        added_at=row.added_at,
        image_url=row.image_url,
        price_when_added=money.from_db(row.price_when_added),
        currency_when_added=row.currency_when_added,
        availability=row.availability or "unknown",
        checked_at=row.checked_at,
        own_link=row.own_link,
        personal_link=link.personal,
        link_problem=link.problem,
    )


def _in_store(source_id: int | None) -> sa.ColumnElement[bool]:
    """Products filed under SOURCE_ID; None: the products without a source."""
    column = products.c.affiliate_source_id
    return column.is_(None) if source_id is None else column == source_id


def get_cart(session: Session, *, user_id: int, source: str | None = None) -> Cart:
    """The user's cart grouped by store (by name; items with no store last)."""
    stmt = _lines_select(user_id)
    if source is not None:
        stmt = stmt.where(_in_store(sources_service.find_source(session, source).id))
    return _cart(session, stmt)


def store_cart(session: Session, *, user_id: int, source_id: int | None) -> Cart:
    """One store's part of the cart: SOURCE_ID's products (None: the products without a source)."""
    return _cart(session, _lines_select(user_id).where(_in_store(source_id)))


def _cart(session: Session, stmt: sa.Select) -> Cart:
    rows = session.exec(stmt.order_by(cart_items.c.added_at, cart_items.c.id)).all()
    by_store: dict[int | None, list[CartLine]] = {}
    tracking: dict[int | None, str | None] = {}
    for row in rows:
        line = _row_to_line(row)
        by_store.setdefault(line.source_id, []).append(line)
        tracking[line.source_id] = row.tracking_id
    groups = [_group(lines, tracking[source_id]) for source_id, lines in by_store.items()]
    groups.sort(key=lambda g: (g.source is None, (g.source or "").lower(), g.source_id or 0))
    priced = [
        (line.currency, line.line_total) for g in groups for line in g.lines if line.line_total is not None
    ]
    return Cart(
        groups=groups,
        totals=money.totals(priced),
        unpriced=sum(g.unpriced for g in groups),
    )


def _group(lines: list[CartLine], tracking_id: str | None) -> StoreGroup:
    priced = [(line.currency, line.line_total) for line in lines if line.line_total is not None]
    return StoreGroup(
        source=lines[0].source,
        source_id=lines[0].source_id,
        lines=lines,
        subtotals=money.totals(priced),
        unpriced=sum(1 for line in lines if line.line_total is None),
        tracking_id=tracking_id,
    )


def get_line(session: Session, *, user_id: int, product_id: int) -> CartLine:
    row = (
        session.exec(_lines_select(user_id).where(cart_items.c.product_id == product_id)).first()
        if ids.in_range(product_id)
        else None
    )
    if row is None:
        raise _not_in_cart(product_id)
    return _row_to_line(row)


def _not_in_cart(product_id: int) -> NotFound:
    return NotFound(f"product {product_id} is not in your cart (see: ishop4u cart list)")


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
    if source is None:
        return _selection(session, user_id)
    return _selection(session, user_id, _in_store(sources_service.find_source(session, source).id))


def select_store_items(session: Session, *, user_id: int, source_id: int | None) -> Selection:
    """The items of SOURCE_ID's part of the cart (None: the products without a source)."""
    return _selection(session, user_id, _in_store(source_id))


def _selection(session: Session, user_id: int, *in_store: sa.ColumnElement[bool]) -> Selection:
    stmt = sa.select(cart_items.c.product_id).where(cart_items.c.user_id == user_id)
    if in_store:
        stmt = stmt.where(cart_items.c.product_id.in_(sa.select(products.c.id).where(*in_store)))
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
    stmt = (
        sa.update(cart_items)
        .where(cart_items.c.user_id == user_id, cart_items.c.product_id == product_id)
        .values(**values)
    )
    if not ids.in_range(product_id) or not session.exec(stmt).rowcount:
        raise _not_in_cart(product_id)
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
