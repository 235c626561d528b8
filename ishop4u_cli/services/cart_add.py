"""Adding to the cart: `cart add` (through services/catalogue.py), and the demo.

Adding is an atomic upsert on the seed's UNIQUE(user_id, product_id):
INSERT ... ON CONFLICT DO UPDATE SET quantity = cart_items.quantity +
excluded.quantity RETURNING quantity. Concurrent adders never lose a unit,
and a total above the limit raises, so the whole transaction rolls back.
The insert also keeps the product's price as it was when the item entered the
cart (price_when_added); the update leaves it, so a re-add keeps the first.
A page pasted with the user's own affiliate link keeps that link on their line
(services/line_links.py says whose link a line checks out with).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import line_links
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.cart_items import QTY_MAX, ItemRequest, check_quantity, clean_notes
from ishop4u_cli.services.products import StoredProduct
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import cart_items


@dataclass(frozen=True)
class Added:
    label: str
    product: StoredProduct
    quantity: int  # the quantity in the cart now
    added: int  # what this command added
    product_created: bool
    ignored: tuple[str, ...] = ()  # options given for a product page already stored (kept as it is)
    own_link: str | None = None  # the link pasted, kept on this cart line (it carries the user's id)
    replaced_link: str | None = None  # the line's own link before, when this one replaced it


def add_items(
    session: Session,
    *,
    user_id: int,
    requests: Iterable[ItemRequest],
    quantity: int = 1,
    notes: str | None = None,
) -> list[Added]:
    """Add every request in this one transaction; the first bad one raises and nothing stays.

    A page given with a link that carries the user's affiliate id keeps that link on
    the user's cart line (services/line_links.py): a re-add with another such link
    replaces it; a product id, or a plain page, leaves it as it is.
    """
    check_quantity(quantity)
    note = clean_notes(notes) if notes is not None else None
    resolved: list[tuple[ItemRequest, StoredProduct, bool, tuple[str, ...]]] = []
    wanted = list(requests)
    # Which source each new page goes under: the sources read once for every page added.
    by_url = sources_service.SourcesByUrl(session) if any(r.new is not None for r in wanted) else None
    for request in wanted:
        created, ignored = False, ()
        try:
            if request.new is not None:
                result = products_service.add_product(session, request.new, created_by=user_id, by_url=by_url)
                product, created, ignored = result.product, result.created, tuple(result.ignored)
            else:
                assert request.product_id is not None
                product = products_service.get_product(session, request.product_id)
        except (UsageError, NotFound) as exc:
            raise type(exc)(f"{request.label}: {exc}") from None
        resolved.append((request, product, created, ignored))
    links = _own_links(session, resolved)
    # Upsert in product-id order (a stable sort keeps repeats in the order given): two
    # concurrent adds naming the same products in different orders would otherwise lock
    # the cart rows in opposite orders and deadlock on PostgreSQL.
    totals: dict[int, tuple[int, str | None]] = {}
    for index in sorted(range(len(resolved)), key=lambda i: resolved[i][1].id):
        request, product, _, _ = resolved[index]
        total, before = _upsert(
            session,
            user_id=user_id,
            product=product,
            quantity=quantity,
            notes=note,
            set_notes=notes is not None,
            own_link=links[index],
        )
        if total > QTY_MAX:
            raise UsageError(
                f"{request.label}: product {product.id} would have quantity {total} in your cart; "
                f"the most is {QTY_MAX} (nothing was added)"
            )
        totals[index] = total, before
    return [
        Added(
            request.label,
            product,
            totals[index][0],
            quantity,
            created,
            ignored,
            own_link=links[index],
            replaced_link=totals[index][1] if totals[index][1] != links[index] else None,
        )
        for index, (request, product, created, ignored) in enumerate(resolved)
    ]


def _own_links(
    session: Session, resolved: list[tuple[ItemRequest, StoredProduct, bool, tuple[str, ...]]]
) -> list[str | None]:
    """For each request, the link its cart line keeps as the user's own (a pasted page only)."""
    found: dict[int | None, sources_service.Source | None] = {None: None}
    links: list[str | None] = []
    for request, product, _, _ in resolved:
        if request.new is None:
            links.append(None)
            continue
        if product.affiliate_source_id not in found:
            found[product.affiliate_source_id] = sources_service.get_source(
                session, product.affiliate_source_id
            )
        source = found[product.affiliate_source_id]
        links.append(
            line_links.own_link(
                request.new.url,
                canonical_url=product.url,
                tracking_id=source.tracking_id if source else None,
                link_template=source.link_template if source else None,
            )
        )
    return links


def _upsert(
    session: Session,
    *,
    user_id: int,
    product: StoredProduct,
    quantity: int,
    notes: str | None,
    set_notes: bool,
    own_link: str | None,
) -> tuple[int, str | None]:
    """The quantity in the cart now, and the line's own link before (when OWN_LINK is given)."""
    before = None
    if own_link is not None:
        before = session.exec(
            sa.select(cart_items.c.affiliate_link).where(
                cart_items.c.user_id == user_id, cart_items.c.product_id == product.id
            )
        ).scalar()
    insert = upsert_insert(session, cart_items).values(
        user_id=user_id,
        product_id=product.id,
        quantity=quantity,
        notes=notes,
        price_when_added=product.price,
        currency_when_added=product.currency if product.price is not None else None,
        affiliate_link=own_link,
    )
    changes = {"quantity": sa.func.coalesce(cart_items.c.quantity, 1) + insert.excluded.quantity}
    if set_notes:
        changes["notes"] = insert.excluded.notes
    if own_link is not None:
        changes["affiliate_link"] = insert.excluded.affiliate_link
    stmt = insert.on_conflict_do_update(
        index_elements=[cart_items.c.user_id, cart_items.c.product_id], set_=changes
    ).returning(cart_items.c.quantity)
    return session.exec(stmt).scalar_one(), before
