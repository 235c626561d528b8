"""The view of `ishop4u product history`: a table of observations, a summary, and a chart on a terminal.

The chart is drawn by plotext (imported only here, only when a chart is drawn) on a
terminal at least CHART_MIN_WIDTH columns wide, no wider than CHART_MAX_WIDTH; piped,
the table and summary print without colour and without a chart (scripts read --json).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render import tables
from ishop4u_cli.render.products import amount_text
from ishop4u_cli.text import printable

if TYPE_CHECKING:
    from ishop4u_cli.services.history import Observation
    from ishop4u_cli.services.product_history import PricePoint, ProductHistory

CHART_MIN_WIDTH = 40
CHART_MAX_WIDTH = 80
CHART_HEIGHT = 15
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

STOCK = {
    "in_stock": ("in stock", "green"),
    "out_of_stock": ("out of stock", "red"),
    "preorder": ("preorder", "yellow"),
    "discontinued": ("discontinued", "red"),
    "unknown": ("unknown", None),
}

HISTORY_COLUMNS = [
    tables.Column("Time (UTC)"),
    tables.Column("Price", justify="right"),
    tables.Column("Currency"),
    tables.Column("Stock", drop=1),
    tables.Column("Origin", drop=0),
]


def _point_json(point: PricePoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "price": money.format_price(point.price),
        "currency": point.currency,
        "observed_at": point.observed_at,
    }


def _observation_json(o: Observation) -> dict[str, Any]:
    return {
        "observed_at": o.observed_at,
        "price": money.format_price(o.price),
        "currency": o.currency,
        "availability": o.availability,
        "origin": o.origin,
    }


def history_json(h: ProductHistory) -> dict[str, Any]:
    p = h.product
    return {
        "product": {
            "id": p.id,
            "name": p.name,
            "price": money.format_price(p.price),
            "currency": p.currency,
            "url": p.url,
        },
        "observations": [_observation_json(o) for o in h.observations],
        "lowest": _point_json(h.lowest),
        "highest": _point_json(h.highest),
        "current": None
        if p.price is None
        else {"price": money.format_price(p.price), "currency": p.currency},
    }


def _stock(availability: str) -> Any:
    from rich.text import Text

    text, style = STOCK.get(availability, (availability, None))
    return Text(text, style=style or "")


def _when(point: PricePoint) -> str:
    return (
        f"{money.format_amount(point.price, point.currency)} on {point.observed_at.strftime(TIME_FORMAT)} UTC"
    )


def show_history(h: ProductHistory, *, as_json: bool) -> None:
    if as_json:
        render.json_doc(history_json(h))
        return
    p = h.product
    if not h.observations:
        render.message(f"Product {p.id} ({p.name}) has no price history yet (ishop4u refresh records it).")
        return
    render.out(f"Product {p.id}: {p.name}")
    rows = tables.Rows()
    for o in h.observations:
        price = tables.no_price() if o.price is None else f"{o.price:,f}"
        rows.add(
            o.observed_at.strftime(TIME_FORMAT), price, o.currency or "", _stock(o.availability), o.origin
        )
    render.show(tables.fitted(HISTORY_COLUMNS, rows, min(render.width(), CHART_MAX_WIDTH)))
    current = amount_text(p.price, p.currency)
    render.out(f"Lowest:  {_when(h.lowest) if h.lowest else '-'}")
    render.out(f"Highest: {_when(h.highest) if h.highest else '-'}")
    render.out(f"Current: {current}")
    if h.other_currencies:
        render.out(
            f"({render.plural(h.other_currencies, 'observation')} in another currency than {h.currency} "
            "not compared)"
        )
    _chart(h)


def _chart(h: ProductHistory) -> None:
    """plotext's chart of the price over time, on a terminal wide enough, with two prices or more."""
    console = render.console()
    points = h.priced
    if not console.is_terminal or console.width < CHART_MIN_WIDTH or len(points) < 2:
        return
    import plotext as plt
    from rich.text import Text

    plt.clear_figure()
    plt.date_form("Y-m-d H:M:S")
    plt.plot_size(min(console.width, CHART_MAX_WIDTH), CHART_HEIGHT)
    # A price holds until the next observation: drawn as steps, never as a slope between two reads.
    dates: list[str] = []
    prices: list[float] = []  # floats only as positions on the drawing: every price printed stays a Decimal
    for n, o in enumerate(points):
        when = o.observed_at.strftime(TIME_FORMAT)  # as plt.date_form above reads it
        if n:
            dates.append(when)
            prices.append(float(points[n - 1].price))  # type: ignore[arg-type]
        dates.append(when)
        prices.append(float(o.price))  # type: ignore[arg-type]
    plt.plot(dates, prices, marker="braille")
    # The name may come from a page: no escape sequence of its own reaches Text.from_ansi.
    plt.title(f"{printable(h.product.name)} ({h.currency})")
    plt.xlabel("UTC")
    if console.color_system:
        plt.theme("pro")  # the terminal's own background, a coloured line
    else:  # NO_COLOR
        plt.theme("clear")
    chart = plt.build()
    plt.clear_figure()
    console.print(Text.from_ansi(chart), crop=False)
