"""Views for `ishop4u cart`: the table grouped by store, the JSON documents, and what each change did."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render.tables import Column, Rows, fitted, no_price, without

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.text import Text

    from ishop4u_cli.services.cart import Cart, CartLine
    from ishop4u_cli.services.catalogue import Catalogued


def line_json(line: CartLine) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "name": line.name,
        "source": line.source,
        "price": money.format_price(line.price),
        "currency": line.currency,
        "quantity": line.quantity,
        "line_total": money.format_price(line.line_total),
        "affiliate_link": line.affiliate_link,
        "notes": line.notes,
        "added_at": line.added_at,
        "price_when_added": money.format_price(line.price_when_added),
        "price_change": money.format_price(line.price_change),
        "availability": line.availability,
        "checked_at": line.checked_at,
    }


def totals_json(totals: dict[str, Decimal]) -> list[dict[str, str]]:
    return [
        {"currency": code, "amount": money.format_price(amount) or "0.00"} for code, amount in totals.items()
    ]


def cart_json(cart: Cart) -> dict[str, Any]:
    return {
        "items": [line_json(line) for line in cart.lines],
        "totals": totals_json(cart.totals),
        "unpriced_items": cart.unpriced,
    }


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"  # the time is in the JSON


def _money(amount: Decimal | None, currency: str) -> Text | str:
    return no_price() if amount is None else money.format_amount(amount, currency)


def change_text(line: CartLine) -> str:
    """The price change since the item was added: '▼ 3.00' (a fall), '▲ 1.50' (a rise); '' for none."""
    delta = line.price_change
    if not delta:  # unknown (a price missing, another currency), or no change
        return ""
    return f"{'▼' if delta < 0 else '▲'} {abs(delta):,f}"


def change(line: CartLine) -> Text | str:
    """change_text as a cell: green for a fall, red for a rise (on a terminal; plain when piped)."""
    from rich.text import Text

    text = change_text(line)
    if not text:
        return ""
    return Text(text, style="green" if text.startswith("▼") else "red")


STOCK_MARKS = {"out_of_stock": "out of stock", "discontinued": "discontinued"}


def _name(line: CartLine) -> Text | str:
    """The name, after a mark when its page last said out of stock or discontinued (red on a terminal).

    The mark comes first so that cutting a long name never hides it.
    """
    from rich.text import Text

    mark = STOCK_MARKS.get(line.availability)
    if mark is None:
        return line.name
    return Text.assemble((f"({mark})", "bold red"), " ", line.name)


def _notes(notes: str | None) -> str:
    """Notes on one line (a table row is one line; `cart list --json` has them as written)."""
    return " ".join((notes or "").split())


def _amounts(amounts: dict[str, Decimal]) -> str:
    return "\n".join(money.format_amount(amount, code) for code, amount in amounts.items())


def unpriced_note(n: int) -> str:
    verb = render.plural(n, "is", "are", number=False)
    return f"{render.plural(n, 'item')} without a price {verb} not in the totals."


def show_cart(cart: Cart, *, as_json: bool) -> None:
    if as_json:
        render.json_doc(cart_json(cart))
        return
    if not cart.groups:
        render.message("Your cart is empty (add to it: ishop4u cart add URL).")
        return
    columns, rows = CART_COLUMNS, _cart_rows(cart)
    if not any(line.price_change for line in cart.lines):
        columns, rows = without(columns, rows, "Change")
    render.show(fitted(columns, rows, render.width()))
    if cart.unpriced:
        render.out(unpriced_note(cart.unpriced))


# When the terminal is narrow: Added goes first, then Unit price (Line total / Qty), Notes, Change,
# Store. Change (the price since the item was added) is there only when some price changed.
CART_COLUMNS = [
    Column("ID", justify="right"),
    Column("Name", flex=True, min_width=20, weight=3),
    Column("Store", flex=True, min_width=11, weight=1, drop=4),  # "Other shops", "AliExpress" whole
    Column("Unit price", justify="right", drop=1),
    Column("Change", justify="right", drop=3),
    Column("Qty", justify="right"),
    Column("Line total", justify="right"),
    Column("Notes", flex=True, min_width=10, weight=2, drop=2),
    Column("Added", drop=0),
]


def _cart_rows(cart: Cart) -> Rows:
    rows = Rows()
    for group in cart.groups:
        store = group.source or render.NO_STORE
        for line in group.lines:
            rows.add(
                str(line.product_id),
                _name(line),
                store,
                _money(line.price, line.currency),
                change(line),
                str(line.quantity),
                _money(line.line_total, line.currency),
                _notes(line.notes),
                _date(line.added_at),
            )
        label = f"Subtotal {store}"
        if group.unpriced:
            label += f"\n(+ {group.unpriced} without a price)"
        subtotal = _amounts(group.subtotals) or "-"
        rows.add("", label, "", "", "", "", subtotal, "", "", style="bold", end_section=True)
    rows.add("", "Total", "", "", "", "", _amounts(cart.totals) or "-", "", "", style="bold green")
    return rows


# ---------------------------------------------------------------- what a change did (stderr)


def added(result: Catalogued, *, as_json: bool) -> None:
    """`cart add`: the pages' warnings, each product stored on the way, each item; then the JSON."""
    from ishop4u_cli.render import products as products_view

    products_view.page_warnings(result.warnings)
    for item in result.cart:
        p = item.product
        if item.product_created:
            products_view.product_created(p)
        elif item.ignored:
            products_view.kept(p, item.ignored)
        render.message(f"Cart: {item.added} x product {p.id} ({p.name}); quantity now {item.quantity}.")
        if item.replaced_link is not None:
            render.message(
                f"Your link for product {p.id} replaces the one you pasted before; "
                f"you check out with: {item.own_link}"
            )
    if as_json:
        render.json_doc(
            {
                "added": [
                    {
                        "product_id": item.product.id,
                        "name": item.product.name,
                        "added": item.added,
                        "quantity": item.quantity,
                        "new_product": item.product_created,
                    }
                    for item in result.cart
                ]
            }
        )


def updated(line: CartLine, *, as_json: bool) -> None:
    notes = f" and notes {line.notes!r}." if line.notes else " and no notes."
    render.message(f"Cart: product {line.product_id} ({line.name}) now has quantity {line.quantity}{notes}")
    if as_json:
        render.json_doc(line_json(line))


def removed(lines: Sequence[CartLine]) -> None:
    for line in lines:
        render.message(f"Removed product {line.product_id} ({line.name}) from your cart.")


def _from(source: str | None) -> str:
    return f" from {source}" if source else ""


def nothing_to_clear(source: str | None) -> None:
    render.message(f"Nothing to remove: your cart has no items{_from(source)}.")


def clear_question(count: int, source: str | None) -> str:
    return f"Remove {render.plural(count, 'item')}{_from(source)} from your cart?"


def cleared(count: int, source: str | None) -> None:
    render.message(f"Removed {render.plural(count, 'item')}{_from(source)} from your cart.")
