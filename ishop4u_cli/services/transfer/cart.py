"""`cart export`'s columns and `cart import`: a cart as JSON or CSV, and back in one transaction.

`cart export` writes services/cart.py get_cart's lines (each carries its page and image) through
render/transfer.py.

An import stores the products it does not find (by normalized URL) with the
same row builder as `product add` (no page is fetched), records the price of
each one it stored as an observation (origin "import"), then sets each item's
quantity and notes in the cart with one bulk upsert per chunk. A new item's
price when added is the file's `price_when_added`, else its `price`. An
item's `own_link` (the link the user pasted for it, carrying their affiliate id)
comes back as their cart line's own link (services/line_links.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ishop4u_cli import money, stores
from ishop4u_cli.errors import UsageError
from ishop4u_cli.services import cart_items as cart_rules
from ishop4u_cli.services import history, line_links
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services.transfer.bulk import (
    SourceCache,
    chunks,
    existing_ids,
    insert_products,
    record_imported,
)
from ishop4u_cli.services.transfer.formats import (
    Row,
    csv_rows,
    known_keys,
    no_constant,
    price_value,
    read_rows,
    row_errors,
    text_value,
)
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import cart_items

if TYPE_CHECKING:
    from sqlmodel import Session

    from ishop4u_cli.services.transfer.inputs import Input, Progress

# What `cart export` writes, in this order; `cart import` reads the same names
# (product_id, line_total, price_change, availability and checked_at are ignored:
# ids belong to one database, line totals and changes follow from the prices, and
# the stock is what this database's own page reads say).
CART_COLUMNS = (
    "product_id",
    "name",
    "source",
    "price",
    "currency",
    "quantity",
    "line_total",
    "affiliate_link",
    "url",
    "image_url",
    "notes",
    "added_at",
    "price_when_added",
    "price_change",
    "availability",
    "checked_at",
    "own_link",
)
CART_IGNORED = frozenset({"product_id", "line_total", "price_change", "availability", "checked_at"})
CART_SUFFIXES = {".json": "json", ".csv": "csv"}
# A cart's JSON document is read whole: the export of a 10,000-item cart is about 6 million characters.
MAX_DOCUMENT_CHARS = 64 * 1024 * 1024


# ---------------------------------------------------------------- import


@dataclass(frozen=True)
class CartImport:
    items: int  # items read
    products_added: int  # products that were not stored yet
    cart_added: int  # products that were not in the cart yet
    cart_updated: int  # products already in the cart, their quantity and notes set from the file
    sources_created: list[str]


def cart_rows(source: Input, fmt: str | None) -> Iterator[Row]:
    """The items of a cart file: the JSON document of `cart export`, or its CSV."""
    return read_rows(
        source.name,
        source.text,
        fmt,
        json_format="json",
        read_csv=lambda name, lines: csv_rows(
            name, lines, columns=CART_COLUMNS, required=(), ignored=CART_IGNORED, formulas=True
        ),
        read_json=_json_items,
    )


def _json_items(name: str, lines: Iterable[str]) -> Iterator[Row]:
    """The items of a JSON document {"items": [...]} (read whole: a cart is not a catalogue)."""
    parts: list[str] = []
    size = 0
    for line in lines:
        size += len(line)
        if size > MAX_DOCUMENT_CHARS:
            raise UsageError(f"{name}: more than {MAX_DOCUMENT_CHARS:,} characters: not a cart to import")
        parts.append(line)
    try:
        doc = json.loads("".join(parts), parse_float=Decimal, parse_constant=no_constant)
    except ValueError as exc:
        raise UsageError(f"{name}: not valid JSON: {exc}") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise UsageError(f'{name}: not a cart: expected a JSON object with an "items" list')
    for number, item in enumerate(items, start=1):
        row = Row(number, None, {}, noun="item")
        if not isinstance(item, dict):
            raise UsageError(f"{row.where()}: not a JSON object")
        yield replace(row, values=known_keys(item, CART_COLUMNS, row.where(), CART_IGNORED))


def _quantity(row: Row) -> int:
    value = row.values.get("quantity")
    if value is None:
        return 1
    if isinstance(value, str):  # a CSV cell (or JSON text): read as `cart add --qty` reads it
        return cart_rules.parse_quantity(value)
    if isinstance(value, Decimal):  # 1.5 or 2.0 in JSON: not a whole number of items
        raise UsageError(
            f"a quantity is a whole number from {cart_rules.QTY_MIN} to {cart_rules.QTY_MAX}, not {value}"
        )
    return cart_rules.check_quantity(value)


def _added_at(row: Row) -> datetime | None:
    value = row.values.get("added_at")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if when.tzinfo is not None:
                when = when.astimezone(UTC).replace(tzinfo=None)
            return when
    raise UsageError(
        f'added_at must be a date and time like "2025-01-31 18:05:00", not {json.dumps(value, default=str)}'
    )


@dataclass
class _CartEntry:
    where: str
    product: dict[str, Any]  # the product's row, should it need storing
    quantity: int
    notes: str | None
    added_at: datetime | None
    price_when_added: Decimal | None  # in the item's currency
    own_link: str | None  # the link the user pasted for this line (it carries their affiliate id)


def _cart_entry(row: Row, cache: SourceCache, default_currency: str) -> _CartEntry:
    where = row.where()
    with row_errors(where):
        link = text_value(row, "affiliate_link", where=where)
        url = text_value(row, "url", where=where) or link
        if url is None:
            raise UsageError("no url or affiliate_link: each item needs its product's page")
        notes = row.values.get("notes")
        if notes is not None and not isinstance(notes, str):
            raise UsageError(f"notes must be text, not {json.dumps(notes, default=str)}")
        new = products_service.parse_new_product(  # as `product add` checks it; the price after
            url,
            name=text_value(row, "name", where=where),
            currency=text_value(row, "currency", where=where),
            image=text_value(row, "image_url", where=where),
            source=text_value(row, "source", where=where),
        )
        new = replace(new, price=price_value(row, "price", where=where))
        # An export's price_when_added, even null; a file without the field: the item's price.
        if "price_when_added" in row.values:
            when_added = price_value(row, "price_when_added", where=where)
        else:
            when_added = new.price
        source = cache.source_of(new.source, new.url)
        product = products_service.product_values(
            new,
            source,
            default_currency=default_currency,
            # The link as exported is kept as it is: it may carry a tag this database lacks.
            affiliate_link=stores.check_url(link) if link is not None else None,
        )
        own = line_links.own_link_for_page(
            text_value(row, "own_link", where=where),
            new.canonical_url,
            tracking_id=source.tracking_id if source else None,
            link_template=source.link_template if source else None,
        )
        return _CartEntry(
            where=where,
            product=product,
            quantity=_quantity(row),
            notes=cart_rules.clean_notes(notes) if notes is not None else None,
            added_at=_added_at(row),
            price_when_added=when_added,
            own_link=own,
        )


def import_cart(
    session: Session,
    *,
    user_id: int,
    rows: Iterable[Row],
    source: Input | None = None,
    progress: Progress | None = None,
) -> CartImport:
    """Put the file's items in USER_ID's cart, in this transaction; the first bad item raises.

    - A product is found by its normalized URL; one not stored yet is stored
      from the item (its price, currency, name, image, source and link, the
      link as exported). A stored product is used as it is.
    - The item's quantity and notes REPLACE those of the same product already
      in the cart (so importing a file twice gives the same cart); cart items
      the file does not mention are kept.
    - An item's own link becomes the cart line's own link (it replaces the
      line's; an item without one leaves the line's as it is).
    - A missing source is created by name, so an export from another database
      comes back whole.
    - The products it stores are USER_ID's (they created them: their links).
    """
    default_currency = money.default_currency()
    cache = SourceCache(session, create_missing=True)
    first_seen: dict[str, str] = {}
    items = products_added = cart_added = cart_updated = 0
    now = history.now()
    conn = session.connection()
    for chunk in chunks(rows):
        entries: list[_CartEntry] = []
        for row in chunk:
            entry = _cart_entry(row, cache, default_currency)
            key = entry.product["canonical_url"]
            if key in first_seen:
                raise UsageError(
                    f"{entry.where}: the same product as {first_seen[key]} ({key}); list each product once"
                )
            first_seen[key] = entry.where
            entries.append(entry)
        items += len(entries)
        keys = [e.product["canonical_url"] for e in entries]
        ids = existing_ids(session, keys)
        fresh = [e.product for e in entries if e.product["canonical_url"] not in ids]
        stored = insert_products(session, fresh, created_by=user_id)
        record_imported(session, stored, fresh, at=now, user_id=user_id)
        products_added += len(stored)
        ids.update(stored)
        ids.update(existing_ids(session, [k for k in keys if k not in ids]))
        in_cart = set(
            conn.execute(
                sa.select(cart_items.c.product_id).where(
                    cart_items.c.user_id == user_id, cart_items.c.product_id.in_(ids.values())
                )
            ).scalars()
        )
        values = [
            {
                "user_id": user_id,
                "product_id": ids[e.product["canonical_url"]],
                "quantity": e.quantity,
                "notes": e.notes,
                "added_at": e.added_at or now,
                # Kept by an item already in the cart (the upsert leaves it), as a re-add keeps it.
                "price_when_added": e.price_when_added,
                "currency_when_added": e.product["currency"] if e.price_when_added is not None else None,
                "affiliate_link": e.own_link,
            }
            for e in entries
        ]
        cart_updated += sum(1 for v in values if v["product_id"] in in_cart)
        cart_added += sum(1 for v in values if v["product_id"] not in in_cart)
        insert = upsert_insert(session, cart_items)
        stmt = insert.on_conflict_do_update(
            index_elements=[cart_items.c.user_id, cart_items.c.product_id],
            set_={
                "quantity": insert.excluded.quantity,
                "notes": insert.excluded.notes,
                "affiliate_link": sa.func.coalesce(
                    insert.excluded.affiliate_link, cart_items.c.affiliate_link
                ),
            },
        )
        if values:
            conn.execute(stmt, values)
        if progress is not None:
            progress(source.position() if source else 0, items)
    return CartImport(
        items=items,
        products_added=products_added,
        cart_added=cart_added,
        cart_updated=cart_updated,
        sources_created=cache.created,
    )
