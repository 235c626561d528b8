"""Views for `ishop4u product`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render

if TYPE_CHECKING:
    from ishop4u_cli.services.products import ProductView


def product_json(p: ProductView) -> dict[str, Any]:
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


def price_text(p: ProductView) -> str:
    return "no price" if p.price is None else money.format_amount(p.price, p.currency)


def show_list(items: list[ProductView], *, as_json: bool) -> None:
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


def show_one(p: ProductView, *, carts: int, as_json: bool) -> None:
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
