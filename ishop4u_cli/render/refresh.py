"""Views for `ishop4u refresh` (its progress bar, report and JSON) and the page-reading spinner of `cart add`.

Progress is drawn on stderr only when stderr is a terminal; a cron job or a
pipe gets none. The report of each product and the summary line go to stderr
(what the command did); fired alerts are the command's data, on stdout, so
`refresh --quiet` prints exactly the alerts (and any error).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from ishop4u_cli import money, render
from ishop4u_cli.render import watches as watches_view
from ishop4u_cli.render.products import amount_text

if TYPE_CHECKING:
    from ishop4u_cli.services.refresh import ProductCheck, Refreshed
    from ishop4u_cli.services.watches import Alert


class Progress:
    """A Rich progress bar on stderr while pages are read, when stderr is a terminal; else nothing."""

    def __init__(self, label: str, *, shown: bool = True) -> None:
        self.label = label
        self.shown = shown and sys.stderr.isatty()
        self.failed = 0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def start(self, total: int) -> None:
        if not self.shown or total == 0:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        self._bar = Progress(
            SpinnerColumn(),
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            console=render.console(stderr=True),
            transient=True,
        )
        self._task = self._bar.add_task(self.label, total=total, failed="")
        self._bar.start()

    def advance(self, failed: bool = False) -> None:
        self.failed += failed
        if self._bar is not None:
            note = f"{self.failed} failed" if self.failed else ""
            self._bar.update(self._task, advance=1, failed=note)

    def checked(self, check: ProductCheck) -> None:
        """One product's result (refresh's on_result)."""
        self.advance(check.status == "failed")


def progress(*, quiet: bool = False) -> Progress:
    return Progress("Reading pages", shown=not quiet)


def reading_pages() -> Progress:
    """`cart add` of several new pages: a spinner and count while they are read."""
    return Progress("Reading product pages")


def _stock(availability: str) -> str:
    return availability.replace("_", " ")


def check_json(c: ProductCheck) -> dict[str, Any]:
    return {
        "id": c.product_id,
        "name": c.name,
        "status": c.status,
        "old_price": money.format_price(c.old_price),
        "new_price": money.format_price(c.new_price),
        "old_currency": c.old_currency,
        "currency": c.currency,
        "availability": c.availability,
        "checked_at": c.checked_at,
        "failure": c.failure,
    }


def alert_json(a: Alert) -> dict[str, Any]:
    return {
        "product_id": a.product_id,
        "name": a.product_name,
        "price": money.format_price(a.price),
        "currency": a.currency,
        "mark": money.format_price(a.mark),
        "kind": a.kind,
        "drop_percent": money.format_price(a.drop_percent),
        "new_low": a.new_low,
    }


def totals(result: Refreshed) -> dict[str, int]:
    return {
        "checked": len(result.checks),
        "changed": result.count("changed"),
        "unchanged": result.count("unchanged"),
        "failed": result.count("failed"),
        "alerts": len(result.alerts),
    }


def summary_line(result: Refreshed) -> str:
    t = totals(result)
    fired = render.plural(t["alerts"], "alert")
    verb = render.plural(t["alerts"], "fired", "fired", number=False)
    line = (
        f"Checked {render.plural(t['checked'], 'product')}: {t['changed']} changed, "
        f"{t['unchanged']} unchanged, {t['failed']} failed; {fired} {verb}."
    )
    if result.interrupted:
        line = f"Interrupted after {t['checked']} of {result.total}: what was read is kept. " + line
    return line


def _line(c: ProductCheck) -> str | None:
    who = f"product {c.product_id} ({c.name})"
    if c.status == "failed":
        kept = f"; kept {amount_text(c.new_price, c.currency)}" if c.new_price is not None else ""
        return f"Failed: {who}: {c.failure}{kept}."
    if c.status != "changed":
        return None
    if (c.old_price, c.old_currency) == (c.new_price, c.currency):
        return f"Changed: {who}: {amount_text(c.new_price, c.currency)}, now {_stock(c.availability)}."
    was = amount_text(c.old_price, c.old_currency)
    return f"Changed: {who}: {was} -> {amount_text(c.new_price, c.currency)}, {_stock(c.availability)}."


def refreshed(result: Refreshed, *, as_json: bool, quiet: bool) -> None:
    """The run: each change and failure and the summary (stderr), the alerts (stdout), or one JSON document."""
    if as_json:
        render.json_doc(
            {
                "products": [check_json(c) for c in result.checks],
                "totals": totals(result),
                "alerts": [alert_json(a) for a in result.alerts],
                "interrupted": result.interrupted,
            }
        )
    elif not quiet:
        if result.total == 0:
            render.message("Nothing to refresh: no products to read (your cart is empty, or none matched).")
        for c in result.checks:
            if (text := _line(c)) is not None:
                render.message(text)
        if result.total:
            render.message(summary_line(result))
    if not as_json:
        watches_view.alerts(result.alerts)
    watches_view.notify_warnings(result.warnings)


def all_failed(result: Refreshed) -> str:
    """The error when no page could be read (exit 8)."""
    n = len(result.checks)
    return f"no page could be read ({'the one' if n == 1 else f'all {n}'} failed: see above)"
