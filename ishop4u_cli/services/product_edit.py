"""`product edit` and `product remove`: what may change, who may change it, the link rebuilt.

The affiliate link is rebuilt when the page or source changes. A product's
page, source (so its link) and its removal are its creator's and the admins'
(services/permissions.py); its name, price, currency and image any signed-in
user may correct, and the correction is theirs: `edited_by`, and a new price or
currency is recorded in the price history as theirs (origin "manual").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import money, stores
from ishop4u_cli.errors import Conflict, UsageError
from ishop4u_cli.services import history, permissions
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.products import ProductInCarts, StoredProduct
from ishop4u_cli.services.sources import Source
from ishop4u_cli.services.users import Account
from ishop4u_cli.tables import products

FIELD_NAMES = {  # columns as `product edit` reports them
    "name": "name",
    "price": "price",
    "currency": "currency",
    "image_url": "image",
    "affiliate_source_id": "source",
    "canonical_url": "page",
    "affiliate_link": "affiliate link",
}


@dataclass(frozen=True)
class ProductChanges:
    """What `product edit` was asked to change. None: leave it; '' clears where allowed."""

    name: str | None = None
    price: Decimal | None = None
    clear_price: bool = False
    currency: str | None = None
    image_url: str | None = None
    clear_image: bool = False
    source: str | None = None  # a name; '' for no source
    url: str | None = None
    canonical_url: str | None = None

    def empty(self) -> bool:
        return self == ProductChanges()


def parse_changes(
    *,
    name: str | None = None,
    price: str | None = None,
    currency: str | None = None,
    image: str | None = None,
    source: str | None = None,
    url: str | None = None,
) -> ProductChanges:
    """Check what `product edit` was given; UsageError naming the first bad value."""
    checked_url = stores.check_url(url) if url is not None else None
    return ProductChanges(
        name=products_service.clean_name(name) if name is not None else None,
        price=money.parse_price(price) if price is not None and price.strip() else None,
        clear_price=price is not None and not price.strip(),
        currency=money.parse_currency(currency) if currency is not None else None,
        image_url=products_service.clean_image_url(image) if image is not None and image.strip() else None,
        clear_image=image is not None and not image.strip(),
        source=source.strip() if source is not None else None,
        url=checked_url,
        canonical_url=stores.normalize_url(checked_url) if checked_url else None,
    )


def edit_product(
    session: Session, product_id: int, changes: ProductChanges, *, by: Account
) -> tuple[StoredProduct, list[str]]:
    """Apply CHANGES for BY; returns the product and the names of the fields that changed.

    A new --url gets a new affiliate link, and (without --source) the source
    its host belongs to. A new source rebuilds the link when we built it (it
    equals the link made from the page and the old source's tag); a link the
    user gave is kept. A new page or source needs BY to be the product's
    creator or an admin (NotAllowed, exit 10, nothing written).
    """
    if changes.empty():
        raise UsageError("nothing to change: give --name, --price, --currency, --image, --source or --url")
    old = products_service.get_product(session, product_id)
    moves = changes.url is not None or changes.source is not None  # its page or source (so its link)
    if moves:
        option = "--url" if changes.url is not None else "--source"
        permissions.require_creator_or_admin(
            session, by, product_id, f"change its page, source or link ({option})"
        )
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = changes.name
    if changes.price is not None or changes.clear_price:
        values["price"] = changes.price
    if changes.currency is not None:
        values["currency"] = changes.currency
    if changes.image_url is not None or changes.clear_image:
        values["image_url"] = changes.image_url

    new_source: Source | None = None  # looked up only when the page or source moves
    if changes.source is not None:
        new_source = sources_service.find_source(session, changes.source) if changes.source else None
    elif changes.url is not None:
        new_source = sources_service.source_for_url(session, changes.url)
    if moves and (new_source.id if new_source else None) != old.affiliate_source_id:
        values["affiliate_source_id"] = new_source.id if new_source else None

    if changes.url is not None:
        other = products_service.find_by_url(session, changes.canonical_url or "")
        if other is not None and other != product_id:
            raise Conflict(f"product {other} already has the page {changes.canonical_url}")
        values["canonical_url"] = changes.canonical_url
        values["affiliate_link"] = sources_service.affiliate_link_for(changes.url, new_source)
    elif "affiliate_source_id" in values and old.url:
        old_source = (
            sources_service.get_source(session, old.affiliate_source_id) if old.affiliate_source_id else None
        )
        try:
            built_by_us = old.affiliate_link == sources_service.affiliate_link_for(old.url, old_source)
        except UsageError:
            built_by_us = False
        if built_by_us:
            values["affiliate_link"] = sources_service.affiliate_link_for(old.url, new_source)

    current = {
        "name": old.name,
        "price": old.price,
        "currency": old.currency,
        "image_url": old.image_url,
        "affiliate_source_id": old.affiliate_source_id,
        "canonical_url": old.url,
        "affiliate_link": old.affiliate_link,
    }
    values = {key: value for key, value in values.items() if current[key] != value}
    if values:
        session.exec(sa.update(products).where(products.c.id == product_id).values(**values, edited_by=by.id))
    product = products_service.get_product(session, product_id)
    if ("price" in values or "currency" in values) and product.price is not None:
        # A price typed by hand is an observation too (a cleared price is not one).
        history.record(
            session,
            product_id,
            price=product.price,
            currency=product.currency,
            origin="manual",
            user_id=by.id,
        )
    return product, [FIELD_NAMES[key] for key in values]


def removal_of(session: Session, product_id: int, *, by: Account) -> ProductInCarts:
    """What `product remove` would delete, for its question; NotAllowed first unless BY may remove it."""
    found = products_service.get_with_carts(session, product_id)
    permissions.require_creator_or_admin(session, by, product_id, "remove it")
    return found


def remove_product(session: Session, product_id: int, *, by: Account) -> ProductInCarts:
    """Delete the product (BY: its creator or an admin); its cart items go with it (ON DELETE CASCADE).

    Returns it and how many carts held it.
    """
    gone = products_service.get_with_carts(session, product_id)
    permissions.require_creator_or_admin(session, by, product_id, "remove it")
    session.exec(sa.delete(products).where(products.c.id == product_id))
    return gone
