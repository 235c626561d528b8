"""Tables that fit the terminal: one line a row, numbers whole, columns of least value dropped first.

Rich squeezes every column of a table that is too wide, wrapping names every
few characters and numbers over several lines. These tables are laid out here
instead, for the console's width:

- fixed columns (ids, prices, quantities, dates) always get their full width;
- flexible columns (names, stores, notes, links) share what is left and cut
  what does not fit with an ellipsis, on one line;
- while even the flexible columns' least widths do not fit, the droppable
  column of least value goes.

Piped, the console is as wide as any row (render.console), so nothing is cut
or dropped and links print whole. Links are OSC 8 hyperlinks on a terminal
(Style(link=...)), so a link cut short on screen still opens whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ishop4u_cli.text import printable

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

GAP = 3  # cells between two columns: padding 1, the box's blank divider, padding 1


@dataclass(frozen=True)
class Column:
    header: str
    justify: Literal["left", "right"] = "left"
    flex: bool = False  # shares the room left over; cut with an ellipsis
    min_width: int = 0  # flex: the least width worth showing it at
    weight: int = 1  # flex: its share of the room left over
    drop: int | None = None  # when space is short the lowest goes first; None: always shown


@dataclass
class Rows:
    """The table's rows as Text cells (never markup: names print literally)."""

    cells: list[list[Text]] = field(default_factory=list)
    styles: list[str | None] = field(default_factory=list)
    ends: list[bool] = field(default_factory=list)

    def add(self, *cells: Text | str, style: str | None = None, end_section: bool = False) -> None:
        self.cells.append([_printable(c) for c in cells])
        self.styles.append(style)
        self.ends.append(end_section)


def without(columns: list[Column], rows: Rows, header: str) -> tuple[list[Column], Rows]:
    """COLUMNS and ROWS without the column named HEADER (a column with nothing to show)."""
    index = next(i for i, c in enumerate(columns) if c.header == header)
    kept = Rows([cells[:index] + cells[index + 1 :] for cells in rows.cells], rows.styles, rows.ends)
    return columns[:index] + columns[index + 1 :], kept


def link(url: str) -> Text:
    """URL as a cell: the whole address, and on a terminal an OSC 8 hyperlink to it."""
    from rich.style import Style
    from rich.text import Text

    url = printable(url)  # an ESC or BEL would end the OSC 8 sequence and start the page's own
    return Text(url, style=Style(link=url))


def _printable(cell: Text | str) -> Text:
    """CELL as Text without control or bidi characters (a name from a page may carry them)."""
    from rich.text import Text

    if isinstance(cell, str):
        return Text(printable(cell))
    if printable(cell.plain) != cell.plain:
        return Text(printable(cell.plain), style=cell.style)
    return cell


def no_price() -> Text:
    """A missing price: yellow on terminals, plain text in pipes."""
    from rich.text import Text

    return Text("no price", style="yellow")


def _natural(column: Column, cells: list[Text]) -> int:
    from rich.cells import cell_len

    widths = [len(column.header)]
    for cell in cells:
        widths.extend(cell_len(line) for line in cell.plain.split("\n"))
    return max(widths)


def layout(columns: list[Column], naturals: list[int], width: int) -> dict[int, int]:
    """Which columns to show (by index) and at what width, for WIDTH cells."""
    shown = list(range(len(columns)))

    def least(i: int) -> int:
        c = columns[i]
        return min(c.min_width, naturals[i]) if c.flex else naturals[i]

    def needed(indexes: list[int]) -> int:
        return sum(least(i) for i in indexes) + GAP * (len(indexes) - 1)

    while needed(shown) > width:
        droppable = [i for i in shown if columns[i].drop is not None]
        if not droppable:
            break
        shown.remove(min(droppable, key=lambda i: (columns[i].drop, -i)))
    widths = {i: least(i) for i in shown}
    room = width - needed(shown)
    # Share the room among the flexible columns by weight, none beyond its natural width.
    growing = [i for i in shown if columns[i].flex and widths[i] < naturals[i]]
    while room > 0 and growing:
        total = sum(columns[i].weight for i in growing)
        given = 0
        for i in growing:
            share = max(1, room * columns[i].weight // total)
            add = min(share, naturals[i] - widths[i], room - given)
            widths[i] += add
            given += add
        room -= given
        growing = [i for i in growing if widths[i] < naturals[i]]
        if given == 0:
            break
    return widths


def fitted(columns: list[Column], rows: Rows, width: int) -> Table:
    """A Rich table of ROWS laid out for WIDTH cells (see the module's docstring)."""
    from rich import box
    from rich.table import Table

    naturals = [_natural(c, [r[i] for r in rows.cells]) for i, c in enumerate(columns)]
    widths = layout(columns, naturals, width)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i in sorted(widths):
        c = columns[i]
        table.add_column(
            c.header, justify=c.justify, no_wrap=True, overflow="ellipsis", width=widths[i], min_width=None
        )
    for cells, style, end in zip(rows.cells, rows.styles, rows.ends, strict=True):
        table.add_row(*(cells[i] for i in sorted(widths)), style=style, end_section=end)
    return table
