"""Views for `ishop4u checkout`: store by store as plain lines, and the JSON document.

Plain lines rather than a table: every link sits alone on its own line, whole,
so a terminal can make it clickable and a pipe gets it uncut. Names are
written as they are (no markup is parsed).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render.cart import STOCK_MARKS, change_text, totals_json, unpriced_note

if TYPE_CHECKING:
    from ishop4u_cli.services.checkout import Checkout, CheckoutItem, StoreCheckout, StoreItems

INDENT = "  "
LINK_INDENT = "      "
NO_LINK = "(no link: see the warning above)"


def item_json(item: CheckoutItem) -> dict[str, Any]:
    line = item.line
    return {
        "product_id": line.product_id,
        "name": line.name,
        "price": money.format_price(line.price),
        "currency": line.currency,
        "quantity": line.quantity,
        "line_total": money.format_price(line.line_total),
        "affiliate_link": line.affiliate_link,
        "cart_link": item.cart_link,
        "price_change": money.format_price(line.price_change),
        "availability": line.availability,
    }


def store_json(store: StoreCheckout) -> dict[str, Any]:
    return {
        "source": store.source,
        "items": [item_json(item) for item in store.items],
        "subtotals": totals_json(store.subtotals),
        "unpriced_items": store.unpriced,
        "cart_link": store.cart_links[0] if store.cart_links else None,
        "cart_links": list(store.cart_links),
    }


def checkout_json(checkout: Checkout) -> dict[str, Any]:
    return {
        "stores": [store_json(store) for store in checkout.stores],
        "totals": totals_json(checkout.totals),
        "unpriced_items": checkout.unpriced,
    }


def _amounts(amounts: dict[str, Decimal]) -> str:
    return ", ".join(money.format_amount(amount, code) for code, amount in amounts.items())


def _items(n: int) -> str:
    return render.plural(n, "item")


def _item_line(item: CheckoutItem) -> str:
    line = item.line
    head = f"{INDENT}{line.quantity} x {line.name} (product {line.product_id}): "
    if line.price is None or line.line_total is None:
        return head + "no price"
    delta = change_text(line)
    since = f" ({delta} since added)" if delta else ""
    return (
        head
        + f"{money.format_amount(line.price, line.currency)} each{since}, "
        + money.format_amount(line.line_total, line.currency)
    )


def subtotal_text(store: StoreCheckout) -> str:
    """'59.97 USD, 5.00 EUR + 1 item without a price' (the text view and the HTML page)."""
    parts = [_amounts(store.subtotals)] if store.subtotals else []
    if store.unpriced:
        parts.append(f"{_items(store.unpriced)} without a price")
    return " + ".join(parts)


def _cart_link_lines(store: StoreCheckout) -> list[str]:
    from urllib.parse import urlsplit

    lines: list[str] = []
    for link in store.cart_links:
        held = sum(1 for item in store.items if item.cart_link == link)
        count = _items(held) if held == len(store.items) else f"{held} of {len(store.items)} items"
        lines.append(f"{INDENT}One link fills your cart at {urlsplit(link).hostname} with {count}:")
        lines.append(LINK_INDENT + link)
    loose = store.loose
    if store.cart_links and loose:
        ids = ", ".join(str(item.line.product_id) for item in loose)
        products = render.plural(len(loose), "product", number=False)
        links = render.plural(len(loose), "its own link", "their own links", number=False)
        lines.append(f"{INDENT}Buy {products} {ids} through {links} above.")
    return lines


def store_lines(store: StoreCheckout) -> list[str]:
    lines = [f"{store.label}: {_items(len(store.items))}"]
    for item in store.items:
        lines.append(_item_line(item))
        lines.append(LINK_INDENT + (item.line.affiliate_link or NO_LINK))
    lines.append(f"{INDENT}Subtotal: {subtotal_text(store)}")
    lines.extend(_cart_link_lines(store))
    return lines


def checkout_lines(checkout: Checkout) -> list[str]:
    lines: list[str] = []
    for store in checkout.stores:
        lines.extend(store_lines(store))
        lines.append("")
    noun = "Total" if len(checkout.totals) <= 1 else "Totals"
    lines.append(f"{noun}: {_amounts(checkout.totals) or 'no prices known'}")
    if checkout.unpriced:
        lines.append(unpriced_note(checkout.unpriced))
    return lines


def stock_warnings(checkout: Checkout) -> None:
    """On stderr, before any link: each item its page last said is out of stock or discontinued."""
    for line in checkout.unavailable:
        when = f" on {line.checked_at:%Y-%m-%d %H:%M} UTC" if line.checked_at else ""
        state = STOCK_MARKS[line.availability]
        render.warning(f"product {line.product_id} ({line.name}) was {state} when its page was read{when}")


def link_warnings(checkout: Checkout) -> None:
    """On stderr: each item listed without a link, and why (services/line_links.py)."""
    for line in checkout.no_link:
        render.warning(f"product {line.product_id} ({line.name}) has no link for you: {line.link_problem}")


def show_checkout(checkout: Checkout, *, as_json: bool) -> None:
    stock_warnings(checkout)
    link_warnings(checkout)
    if as_json:
        render.json_doc(checkout_json(checkout))
        return
    if checkout.empty:
        where = f" from {checkout.source}" if checkout.source else ""
        render.message(
            f"Nothing to check out: your cart has no items{where} (add to it: ishop4u cart add URL)."
        )
        return
    for text in checkout_lines(checkout):
        render.out(text)


def opened(count: int, not_opened: list[str]) -> None:
    """What --open did, on stderr: how many links opened, and once, the ones left to open by hand."""
    if count:
        render.message(f"Opened {render.plural(count, 'link')} in your browser.")
    if not_opened:
        these = "this link" if len(not_opened) == 1 else f"these {len(not_opened)} links"
        render.warning(f"could not open a browser: open {these} yourself:")
        for link in not_opened:
            render.message(LINK_INDENT + link)


def open_question(count: int) -> str:
    return f"Open {render.plural(count, 'tab')} in your browser?"


def done_question(found: StoreItems) -> str:
    return f"Remove {_items(found.count)} bought at {found.label} from your cart?"


def removed(label: str, count: int) -> None:
    render.message(f"Removed {_items(count)} bought at {label} from your cart.")


def nothing_to_remove(label: str) -> None:
    render.message(f"Nothing to remove: your cart has no items from {label}.")
