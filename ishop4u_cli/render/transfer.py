"""Views for imports and exports: the progress bar, the reports, the exported cart."""

from __future__ import annotations

import csv
import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ishop4u_cli import render

if TYPE_CHECKING:
    from ishop4u_cli.services.cart import Cart, CartLine
    from ishop4u_cli.services.transfer import CartImport, ProductImport, Progress, ProgressBar


def progress_bar(label: str) -> ProgressBar:
    """What an import calls with its input's size to draw its progress under LABEL."""
    return functools.partial(progress, label)


@contextmanager
def progress(label: str, total_bytes: int | None) -> Iterator[Progress | None]:
    """A Rich progress bar on stderr while an import runs, only when stderr is a terminal.

    Yields a callback (bytes read, rows read), or None when there is no bar to draw.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total_bytes:
        columns += [BarColumn(), DownloadColumn()]
    columns += [TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn()]
    with Progress(*columns, console=render.console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total_bytes or None, rows=0)

        def advance(done_bytes: int, rows: int) -> None:
            bar.update(task, completed=done_bytes, rows=rows)

        yield advance


def product_import(result: ProductImport, *, name: str, as_json: bool) -> None:
    render.message(
        f"Imported {render.plural(result.rows, 'row', grouped=True)} from {name}: "
        f"{render.plural(result.added, 'product', grouped=True)} added, "
        f"{result.already_stored:,} already stored, {result.repeated:,} repeated in the file."
    )
    if as_json:
        render.json_doc(
            {
                "rows": result.rows,
                "added": result.added,
                "already_stored": result.already_stored,
                "repeated": result.repeated,
            }
        )


def cart_import(result: CartImport, *, name: str, as_json: bool) -> None:
    for source in result.sources_created:
        render.message(f"Added source {source} (named in {name}).")
    render.message(
        f"Imported {render.plural(result.items, 'item', grouped=True)} from {name}: "
        f"{result.cart_added:,} new in your cart, {result.cart_updated:,} already in it; "
        f"{render.plural(result.products_added, 'product', grouped=True)} added to the catalogue."
    )
    if as_json:
        render.json_doc(
            {
                "items": result.items,
                "cart_added": result.cart_added,
                "cart_updated": result.cart_updated,
                "products_added": result.products_added,
                "sources_created": result.sources_created,
            }
        )


def export_item(line: CartLine) -> dict[str, Any]:
    """An exported item: `cart list --json`'s fields, the product page and image, and the link the
    user pasted for it (`own_link`, cart import restores it)."""
    from ishop4u_cli.render.cart import line_json

    return {
        **line_json(line),
        "url": line.url,
        "image_url": line.image_url,
        "own_link": line.own_link,
    }


def export_json(cart: Cart) -> None:
    from ishop4u_cli.render.cart import totals_json

    render.json_doc(
        {
            "items": [export_item(line) for line in cart.lines],
            "totals": totals_json(cart.totals),
            "unpriced_items": cart.unpriced,
        }
    )


def export_csv(lines: list[CartLine], columns: tuple[str, ...]) -> None:
    """CSV with a header; prices as plain decimals, empty cells for nothing; a cell a spreadsheet
    would run as a formula (`=HYPERLINK(...)`) starts with a single quote (cart import takes it off)."""
    from ishop4u_cli.services.transfer.formats import formula_safe

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        row = export_item(line)
        writer.writerow([formula_safe(_cell(row[column])) for column in columns])
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)
