"""Views for `ishop4u product watch`, `unwatch` and `watches`, and the alerts a refresh fires."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render import tables

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ishop4u_cli.services.watches import Alert, Watch, Watched


def _percent_text(value: Decimal) -> str:
    """'10%', '12.5%': as people write it."""
    text = f"{value.quantize(money.CENT):f}".rstrip("0").rstrip(".")
    return f"{text}%"


def watch_json(w: Watch) -> dict[str, Any]:
    """One watch in `product watches --json` and `product watch --json` (money as strings)."""
    return {
        "product_id": w.product_id,
        "product_name": w.product_name,
        "kind": w.kind,
        "below": money.format_price(w.below),
        "drop_percent": money.format_price(w.drop_percent),  # two decimals, as money
        "mark": money.format_price(w.mark),
        "currency": w.currency,
        "price": money.format_price(w.price),
        "price_currency": w.price_currency if w.price is not None else None,
        "fired": w.fired,
        "fired_price": money.format_price(w.fired_price),
        "fired_at": w.fired_at,
        "created_at": w.created_at,
    }


def rule_text(w: Watch) -> str:
    """'at or below 15.00 USD', 'at or below 18.00 USD (10% below 20.00 USD)'."""
    mark = money.format_amount(w.mark, w.currency)
    if w.drop_percent is None:
        return f"at or below {mark}"
    return f"at or below {mark} (a {_percent_text(w.drop_percent)} drop)"


def watched(result: Watched, *, as_json: bool) -> None:
    w = result.watch
    verb = "Now watching" if not result.replaced else "Replaced the watch on"
    render.message(f"{verb} product {w.product_id} ({w.product_name}): refresh alerts {rule_text(w)}.")
    if w.price is not None and w.price_currency == w.currency and w.price <= w.mark:
        render.message(
            f"Its price, {money.format_amount(w.price, w.currency)}, is at or below the mark already: "
            "the next refresh that reads it alerts."
        )
    if as_json:
        render.json_doc(watch_json(w))


def unwatched(w: Watch) -> None:
    render.message(f"Stopped watching product {w.product_id} ({w.product_name}).")


WATCH_COLUMNS = [
    tables.Column("ID", justify="right"),
    tables.Column("Name", flex=True, min_width=12, weight=2),
    tables.Column("Mark", justify="right"),
    tables.Column("Rule", drop=0),
    tables.Column("Price now", justify="right"),
    tables.Column("Alerted", justify="right", drop=1),
]


def show_watches(items: Sequence[Watch], *, as_json: bool) -> None:
    if as_json:
        render.json_doc({"watches": [watch_json(w) for w in items]})
        return
    if not items:
        render.message("No price watches (add one: ishop4u product watch ID --below PRICE).")
        return
    rows = tables.Rows()
    for w in items:
        price = tables.no_price() if w.price is None else money.format_amount(w.price, w.price_currency)
        rule = "below" if w.drop_percent is None else f"{_percent_text(w.drop_percent)} drop"
        fired = "no" if w.fired_price is None else money.format_amount(w.fired_price, w.currency)
        rows.add(
            str(w.product_id), w.product_name, money.format_amount(w.mark, w.currency), rule, price, fired
        )
    render.show(tables.fitted(WATCH_COLUMNS, rows, render.width()))


def alert_line(alert: Alert) -> str:
    """One fired alert, as `refresh` prints it."""
    price = money.format_amount(alert.price, alert.currency)
    mark = money.format_amount(alert.mark, alert.currency)
    what = "new low" if alert.new_low else "at or below your mark"
    return f"Alert: product {alert.product_id} ({alert.product_name}) is {price}, {what} (mark {mark})"


def alerts(items: Sequence[Alert]) -> None:
    """The alerts a refresh fired, one line each on stdout (`refresh --quiet` prints them too)."""
    for alert in items:
        render.out(alert_line(alert))


def notify_warnings(warnings: Sequence[str]) -> None:
    """What notify.send could not deliver (its URLs already masked)."""
    for text in warnings:
        render.warning(text)
