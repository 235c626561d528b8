"""Views for `ishop4u source`: the table, one source, JSON, and what add, edit and remove did."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ishop4u_cli import render
from ishop4u_cli.render import tables

if TYPE_CHECKING:
    from ishop4u_cli.services.source_edit import EditResult
    from ishop4u_cli.services.sources import Source, SourceSummary


def source_json(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "api_name": source.api_name,
        "base_url": source.base_url,
        "tracking_id": source.tracking_id,
        "link_template": source.link_template,
    }


def summary_json(item: SourceSummary) -> dict[str, Any]:
    return {**source_json(item.source), "products": item.products, "cart_items": item.cart_items}


def show_list(items: list[SourceSummary], *, as_json: bool) -> None:
    if as_json:
        render.json_doc({"sources": [summary_json(item) for item in items]})
        return
    rows = tables.Rows()
    for item in items:
        s = item.source
        rows.add(
            str(s.id),
            s.name,
            s.api_name or "-",
            tables.link(s.base_url) if s.base_url else "-",
            s.tracking_id or "-",
            str(item.products),
        )
    render.show(tables.fitted(SOURCE_COLUMNS, rows, render.width()))


# When the terminal is narrow the base URL goes first, then the api name.
SOURCE_COLUMNS = [
    tables.Column("ID", justify="right"),
    tables.Column("Name", flex=True, min_width=12, weight=2),
    tables.Column("API name", drop=1),
    tables.Column("Base URL", flex=True, min_width=16, weight=2, drop=0),
    tables.Column("Tag", flex=True, min_width=10, weight=1),
    tables.Column("Products", justify="right"),
]


def show_one(item: SourceSummary, *, as_json: bool) -> None:
    if as_json:
        render.json_doc(summary_json(item))
        return
    s = item.source
    render.out(f"id:            {s.id}")
    render.out(f"name:          {s.name}")
    render.out(f"api name:      {s.api_name or '-'}")
    render.out(f"base URL:      {s.base_url or '-'}")
    render.out(f"tag:           {s.tracking_id or '-'}")
    render.out(f"link template: {s.link_template or '-'}")
    render.out(f"products:      {item.products}")
    render.out(f"cart items:    {item.cart_items}")


def added(source: Source, *, as_json: bool) -> None:
    render.message(f"Added source {source.id}: {source.name}")
    if as_json:
        render.json_doc(source_json(source))


def edited(result: EditResult, *, as_json: bool) -> None:
    src = result.source
    if result.changed:
        render.message(f"Changed source {src.id} ({src.name}): {', '.join(result.changed)}")
    else:
        render.message(f"Source {src.id} ({src.name}) already had those values; nothing changed.")
    if result.relinked:
        render.message(f"Rebuilt the affiliate links of {render.plural(result.relinked, 'product')}.")
    if as_json:
        render.json_doc(source_json(src))


def _with(item: SourceSummary) -> str:
    return f"{render.plural(item.products, 'product')} and {render.plural(item.cart_items, 'cart item')}"


def removal_question(found: SourceSummary) -> str:
    src = found.source
    return f"Remove source {src.name!r} (id {src.id}) with {_with(found)}?"


def removed(gone: SourceSummary) -> None:
    src = gone.source
    render.message(f"Removed source {src.id} ({src.name}) with {_with(gone)}.")
