"""Views for `ishop4u product`: the table, one product, JSON, and what add, edit and remove did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render

if TYPE_CHECKING:
    from collections.abc import Sequence

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
    return "no price" if p.price is None else money.format_amount(p.price, p.currency)


def show_list(items: list[StoredProduct], *, as_json: bool) -> None:
    if as_json:
        render.json_doc({"products": [product_json(p) for p in items]})
        return
    if not items:
        render.message("No products.")
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Name", overflow="fold", ratio=2)
    table.add_column("Price", justify="right", no_wrap=True)
    table.add_column("Store", overflow="fold")
    table.add_column("Affiliate link", overflow="fold", ratio=3)
    for p in items:
        table.add_row(
            str(p.id),
            render.literal(p.name),
            "[yellow]no price[/]" if p.price is None else price_text(p),
            render.literal(p.source or "-"),
            render.literal(p.affiliate_link),
        )
    render.show(table)


def show_one(found: ProductInCarts, *, as_json: bool) -> None:
    p, carts = found.product, found.carts
    if as_json:
        render.json_doc(product_json(p))
        return
    render.out(f"id:             {p.id}")
    render.out(f"name:           {p.name}")
    render.out(f"price:          {price_text(p)}")
    render.out(f"store:          {p.source or '-'}")
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
    render.message(f"Product {p.id} is already stored for this page: {p.name}{_store(p)}")
    if result.ignored:
        render.message(
            f"Kept it as it is, ignoring {', '.join(result.ignored)} "
            f"(to change it: ishop4u product edit {p.id} ...)"
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
