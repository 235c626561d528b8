"""Views for `ishop4u product`: the table, one product, JSON, and what add, edit and remove did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render import tables

if TYPE_CHECKING:
    from collections.abc import Sequence
    from decimal import Decimal

    from ishop4u_cli.services.catalogue import Catalogued, PageWarning
    from ishop4u_cli.services.products import AddResult, ProductInCarts, StoredProduct


def product_json(p: StoredProduct) -> dict[str, Any]:
    """The seed's column names, plus currency, the source's name and the normalized page URL."""
    return {
        "id": p.id,
        "name": p.name,
        "price": money.format_price(p.price),
        "currency": p.currency,
        "image_url": p.image_url,
        "affiliate_link": p.affiliate_link,
        "affiliate_source_id": p.affiliate_source_id,
        "source": p.source,
        "url": p.url,
    }


def price_text(p: StoredProduct) -> str:
    return amount_text(p.price, p.currency)


def amount_text(amount: Decimal | None, currency: str) -> str:
    """How a price reads in a message or a summary line: "19.99 USD", or "no price"."""
    return "no price" if amount is None else money.format_amount(amount, currency)


def show_list(items: list[StoredProduct], *, as_json: bool) -> None:
    if as_json:
        render.json_doc({"products": [product_json(p) for p in items]})
        return
    if not items:
        render.message("No products.")
        return
    rows = tables.Rows()
    for p in items:
        price = tables.no_price() if p.price is None else price_text(p)
        rows.add(str(p.id), p.name, price, p.source or render.NO_STORE, tables.link(p.affiliate_link))
    render.show(tables.fitted(PRODUCT_COLUMNS, rows, render.width()))


# A link cut short on a terminal still opens whole (OSC 8); piped, it prints whole.
PRODUCT_COLUMNS = [
    tables.Column("ID", justify="right"),
    tables.Column("Name", flex=True, min_width=20, weight=2),
    tables.Column("Price", justify="right", drop=1),
    tables.Column("Store", flex=True, min_width=11, drop=0),
    tables.Column("Affiliate link", flex=True, min_width=20, weight=3),
]


def show_one(found: ProductInCarts, *, as_json: bool) -> None:
    p, carts = found.product, found.carts
    if as_json:
        render.json_doc(product_json(p))
        return
    render.out(f"id:             {p.id}")
    render.out(f"name:           {p.name}")
    render.out(f"price:          {price_text(p)}")
    render.out(f"store:          {p.source or render.NO_STORE}")
    render.out(f"page:           {p.url or '-'}")
    render.out(f"affiliate link: {p.affiliate_link}")
    render.out(f"image:          {p.image_url or '-'}")
    render.out(f"in carts:       {carts}")


def page_warnings(warnings: Sequence[PageWarning]) -> None:
    """What the product pages got wrong (the products were added all the same)."""
    for warning in warnings:
        render.warning(f"{warning.url}: {warning.problem}")


def _store(p: StoredProduct) -> str:
    return f" ({p.source})" if p.source else ""


def _add_result(result: AddResult) -> None:
    p = result.product
    if result.created:
        render.message(f"Added product {p.id}: {p.name}{_store(p)}")
        return
    kept(p, result.ignored)


def kept(p: StoredProduct, ignored: Sequence[str]) -> None:
    """A page already stored: the product stays as it is, whatever options were given for it."""
    render.message(f"Product {p.id} is already stored for this page: {p.name}{_store(p)}")
    if ignored:
        render.message(
            f"Kept it as it is, ignoring {', '.join(ignored)} (to change it: ishop4u product edit {p.id} ...)"
        )


def added(result: Catalogued, *, as_json: bool) -> None:
    """`product add`: the page's warnings, what was stored, and (--json) the product."""
    page_warnings(result.warnings)
    (stored,) = result.products  # `product add` names one page
    _add_result(stored)
    if as_json:
        render.json_doc(product_json(stored.product))


def product_created(p: StoredProduct) -> None:
    """A product `cart add` stored on the way."""
    render.message(f"Added product {p.id}: {p.name}{_store(p)}")


def edited(p: StoredProduct, changed: Sequence[str], *, as_json: bool) -> None:
    if changed:
        render.message(f"Changed product {p.id} ({p.name}): {', '.join(changed)}")
    else:
        render.message(f"Product {p.id} already had those values; nothing changed.")
    if as_json:
        render.json_doc(product_json(p))


def removal_question(found: ProductInCarts) -> str:
    p = found.product
    return f"Remove product {p.id} ({p.name}), leaving {render.plural(found.carts, 'cart')}?"


def removed(p: StoredProduct, *, carts: int) -> None:
    render.message(f"Removed product {p.id} ({p.name}); it left {render.plural(carts, 'cart')}.")
