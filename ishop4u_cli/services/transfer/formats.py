"""Reading rows: CSV with a header, JSON Lines, and the typed values inside a row.

Rows carry where they came from, so every error names its row ("row 3 (line 4)",
"item 3"). Numbers with a fraction are read as Decimal, never float.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ishop4u_cli import money
from ishop4u_cli.errors import NotFound, UsageError

# A header naming more columns than this is not a file we wrote or read (ours have at most 12).
MAX_COLUMNS = 100
# A cell a spreadsheet would run as a formula (OWASP, "CSV Injection"): it starts with one of
# = + - @ tab or carriage return, here after any single quotes already put before it.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def formula_safe(cell: str) -> str:
    """CELL as a spreadsheet shows it as text: a formula-like cell gets a leading single quote.

    `=HYPERLINK(...)` is written `'=HYPERLINK(...)`; a cell that already starts with quotes
    before such a character gets one more, so `from_formula_safe` gives every cell back.
    """
    return "'" + cell if _FORMULA.match(cell) else cell


def from_formula_safe(cell: str) -> str:
    """The cell `formula_safe` was given: one leading quote dropped, only before a formula character."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell) else cell


@dataclass(frozen=True)
class Row:
    number: int  # the data row: 1 is the first row after a CSV header, or the first item
    line: int | None  # where it starts in the file, when that differs from the row number
    values: dict[str, Any]
    noun: str = "row"  # how errors name it: "row 3 (line 4)", "item 3"

    def where(self) -> str:
        if self.line is not None and self.line != self.number:
            return f"{self.noun} {self.number} (line {self.line})"
        return f"{self.noun} {self.number}"


def choose_format(
    path: str, given: str | None, *, allowed: tuple[str, ...], by_suffix: dict[str, str]
) -> str | None:
    """--format, else the file's extension; None means: look at the content."""
    if given is not None:
        fmt = given.strip().lower()
        if fmt not in allowed:
            raise UsageError(f"unknown format {given!r}: use {' or '.join(allowed)}")
        return fmt
    if path == "-":
        return None
    return by_suffix.get(Path(path).suffix.lower())


def sniff(lines: Iterator[str]) -> tuple[str | None, Iterator[str]]:
    """The first non-blank character of LINES, and LINES unchanged (the lines read are put back)."""
    taken: list[str] = []
    first: str | None = None
    for line in lines:
        taken.append(line)
        stripped = line.strip()
        if stripped:
            first = stripped[0]
            break
    return first, itertools.chain(taken, lines)


def read_rows(
    name: str,
    text: Iterable[str],
    fmt: str | None,
    *,
    json_format: str,
    read_csv: Callable[[str, Iterator[str]], Iterator[Row]],
    read_json: Callable[[str, Iterator[str]], Iterator[Row]],
) -> Iterator[Row]:
    """The rows of a file named NAME: CSV, or JSON_FORMAT (FMT None: JSON when it starts with `{`)."""

    def rows() -> Iterator[Row]:
        lines: Iterator[str] = iter(text)
        chosen = fmt
        if chosen is None:
            first, lines = sniff(lines)
            chosen = json_format if first == "{" else "csv"
        yield from (read_csv if chosen == "csv" else read_json)(name, lines)

    return decode_errors(name, rows())


def decode_errors(name: str, rows: Iterator[Row]) -> Iterator[Row]:
    """ROWS, with a file that is not UTF-8 reported as a usage error naming the last good row."""
    number = 0
    try:
        for row in rows:
            number = row.number
            yield row
    except UnicodeDecodeError:
        after = f" (after row {number})" if number else ""
        raise UsageError(f"{name} is not UTF-8 text{after}: save it as UTF-8 and import it again") from None


def csv_rows(
    name: str,
    lines: Iterable[str],
    *,
    columns: tuple[str, ...],
    required: tuple[str, ...],
    ignored: frozenset[str] = frozenset(),
    formulas: bool = False,
) -> Iterator[Row]:
    """Rows of a CSV file with a header naming some of COLUMNS (any order, any case).

    Empty cells are None. Unknown columns are refused, so a misspelt one is not
    silently dropped. FORMULAS: the file was written with `formula_safe` cells (a cart
    export), whose leading quotes are taken off again.
    """
    reader = csv.reader(lines, strict=True)
    header: list[str] | None = None
    try:
        for header in reader:  # blank lines before the header are skipped
            if any(h.strip() for h in header):
                break
    except csv.Error as exc:
        raise UsageError(f"{name}: line {reader.line_num}: not valid CSV: {exc}") from None
    if header is None or not any(h.strip() for h in header):
        raise UsageError(f"{name} has no header row: the first line names the columns ({', '.join(columns)})")
    if len(header) > MAX_COLUMNS:
        raise UsageError(
            f"{name}: the header names {len(header):,} columns, more than {MAX_COLUMNS}"
            f" (the columns are: {', '.join(columns)})"
        )
    keys = [h.strip().lower() for h in header]
    unknown = [h for h in keys if h not in columns and h not in ignored]
    if unknown:
        raise UsageError(
            f"{name}: unknown column {unknown[0]!r} in the header (the columns are: {', '.join(columns)})"
        )
    seen: set[str] = set()
    for key in keys:  # in one pass: the first column named a second time
        if key in seen:
            raise UsageError(f"{name}: the column {key!r} appears twice in the header")
        seen.add(key)
    missing = [k for k in required if k not in keys]
    if missing:
        raise UsageError(f"{name}: the header has no {missing[0]!r} column")
    number = 0
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            record = next(reader, None)
        except csv.Error as exc:
            raise UsageError(f"{name}: row {number + 1} (line {start}): not valid CSV: {exc}") from None
        if record is None:
            return
        last_line = reader.line_num
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # a blank line
        number += 1
        if len(record) != len(keys):
            raise UsageError(
                f"row {number} (line {start}): {len(record)} fields, but the header names {len(keys)}"
            )
        values = {
            k: (v if v.strip() else None) for k, v in zip(keys, record, strict=False) if k not in ignored
        }
        if formulas:
            values = {k: v if v is None else from_formula_safe(v) for k, v in values.items()}
        yield Row(number, start, values)


def jsonl_rows(name: str, lines: Iterable[str], *, columns: tuple[str, ...]) -> Iterator[Row]:
    """Rows of a JSON Lines file: one object a line; blank lines are skipped.

    Numbers with a fraction or exponent are read as Decimal (never float).
    """
    number = 0
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        number += 1
        row = Row(number, line_no, {})
        try:
            obj = json.loads(line, parse_float=Decimal, parse_constant=no_constant)
        except ValueError as exc:
            raise UsageError(f"{row.where()}: not valid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise UsageError(f'{row.where()}: not a JSON object ({{"url": ...}})')
        yield replace(row, values=known_keys(obj, columns, row.where()))


def no_constant(name: str) -> Any:
    """json.loads' parse_constant: NaN and Infinity are not prices."""
    raise ValueError(f"{name} is not a number")


def known_keys(
    obj: dict[str, Any],
    columns: tuple[str, ...] | frozenset[str],
    where: str,
    ignored: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """OBJ without its IGNORED keys; UsageError for a key not among COLUMNS (a misspelt field)."""
    unknown = [k for k in obj if k not in columns and k not in ignored]
    if unknown:
        raise UsageError(f"{where}: unknown field {unknown[0]!r} (the fields are: {', '.join(columns)})")
    return {k: v for k, v in obj.items() if k not in ignored}


# ---------------------------------------------------------------- values in a row


def text_value(row: Row, key: str, *, where: str) -> str | None:
    """ROW's KEY as text; None when absent or blank; UsageError for a JSON number, list, ..."""
    value = row.values.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be text, not {json.dumps(value, default=str)}")
    return value if value.strip() else None


def price_value(row: Row, key: str, *, where: str) -> Decimal | None:
    """A price as text ('19.99'), or a JSON number read as Decimal; the rules of money.py."""
    value = row.values.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return money.parse_price(value) if value.strip() else None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise UsageError(f'{where}: {key} must be a price like "19.99", not {json.dumps(value)}')
    return money.check_price(Decimal(value))


@contextmanager
def row_errors(where: str) -> Iterator[None]:
    """Name the row in any usage or not-found error raised while checking it (once)."""
    try:
        yield
    except (UsageError, NotFound) as exc:
        message = str(exc)
        prefix = f"{where}: "
        raise UsageError(message if message.startswith(prefix) else prefix + message) from None
