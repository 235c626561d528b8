"""Bulk work: products imported from CSV or JSON Lines, carts exported and imported.

Every import is one transaction, all or nothing: rows are read as a stream,
checked with the same rules as `product add` / `cart add` (services.products,
services.cart, money, stores), and written in chunks with bulk INSERT
statements (one executemany per chunk, never an ORM object per row). The
first bad row raises a UsageError naming its row, and the transaction rolls
back, so nothing is written. No product page is fetched during an import.

Products are the same when their normalized URLs are (the rule of
`product add`): a row whose product is already stored, or repeats an earlier
row of the same file, adds nothing and is counted as such; the stored product
is left as it is.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import os
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from ishop4u_cli import money, stores
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.models import AffiliateSource, CartItem, Product
from ishop4u_cli.services import cart as cart_service
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services import sources as sources_service

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from ishop4u_cli.services.sources import Source

P = Product.__table__
C = CartItem.__table__
S = AffiliateSource.__table__
T = TypeVar("T")

# Rows per bulk statement: large enough that per-statement costs vanish, small
# enough that a chunk's parameters stay well under SQLite's variable limit.
CHUNK_ROWS = 2000

PRODUCT_COLUMNS = ("name", "url", "price", "currency", "source", "image")
# What `cart export` writes, in this order; `cart import` reads the same names
# (product_id and line_total are ignored: ids belong to one database, line
# totals follow from price and quantity).
CART_COLUMNS = (
    "product_id",
    "name",
    "source",
    "price",
    "currency",
    "quantity",
    "line_total",
    "affiliate_link",
    "url",
    "image_url",
    "notes",
    "added_at",
)
CART_IGNORED = frozenset({"product_id", "line_total"})

Progress = Callable[[int, int], None]  # (bytes read so far, rows read so far)


# ---------------------------------------------------------------- input


class Input:
    """A file (or stdin) opened for an import: UTF-8 text (a BOM is dropped), read as a stream."""

    def __init__(self, name: str, raw: IO[bytes], *, owned: bool) -> None:
        self.name = name
        self._raw = raw
        self._owned = owned
        self.size: int | None = None
        self.seekable = False
        try:
            info = os.fstat(raw.fileno())
            if stat.S_ISREG(info.st_mode):
                self.size = info.st_size
                self.seekable = raw.seekable()
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # a pipe, or an in-memory stream (tests): no size, no second reading
        self._start = raw.tell() if self.seekable else 0
        self._text = self._wrap()

    def _wrap(self) -> io.TextIOWrapper:
        return io.TextIOWrapper(self._raw, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]

    @property
    def text(self) -> io.TextIOWrapper:
        return self._text

    def position(self) -> int:
        """Bytes read so far (what the decoder has taken from the file)."""
        try:
            return self._raw.tell() - self._start if self.seekable else 0
        except (OSError, ValueError):
            return 0

    def rewind(self) -> None:
        """Start again from the beginning (for a retried transaction); only when seekable."""
        if not self.seekable:
            raise UsageError(f"cannot read {self.name} a second time")
        self._text.detach()
        self._raw.seek(self._start)
        self._text = self._wrap()

    def close(self) -> None:
        with contextlib.suppress(ValueError):
            self._text.detach()  # never close stdin's buffer
        if self._owned:
            self._raw.close()


@contextmanager
def open_input(path: str) -> Iterator[Input]:
    """PATH opened for reading, or stdin for '-'; NotFound (exit 3) when there is no such file."""
    if path == "-":
        raw = getattr(sys.stdin, "buffer", None)
        if raw is None:  # pragma: no cover - a text-only stdin
            raw = io.BytesIO(sys.stdin.read().encode("utf-8"))
        source = Input("stdin", raw, owned=False)
    else:
        file = Path(path).expanduser()
        try:
            raw = open(file, "rb")  # noqa: SIM115 - closed by Input.close
        except FileNotFoundError:
            raise NotFound(f"no such file: {path}") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory, not a file to import") from None
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        source = Input(path, raw, owned=True)
    try:
        yield source
    finally:
        source.close()


def _sniff(lines: Iterator[str]) -> tuple[str | None, Iterator[str]]:
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


# ---------------------------------------------------------------- rows


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


def _decode_errors(name: str, rows: Iterator[Row]) -> Iterator[Row]:
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
) -> Iterator[Row]:
    """Rows of a CSV file with a header naming some of COLUMNS (any order, any case).

    Empty cells are None. Unknown columns are refused, so a misspelt one is not
    silently dropped.
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
    keys = [h.strip().lower() for h in header]
    unknown = [h for h in keys if h not in columns and h not in ignored]
    if unknown:
        raise UsageError(
            f"{name}: unknown column {unknown[0]!r} in the header (the columns are: {', '.join(columns)})"
        )
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise UsageError(f"{name}: the column {repeated[0]!r} appears twice in the header")
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
            obj = json.loads(line, parse_float=Decimal, parse_constant=_no_constant)
        except ValueError as exc:
            raise UsageError(f"{row.where()}: not valid JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise UsageError(f'{row.where()}: not a JSON object ({{"url": ...}})')
        yield replace(row, values=_known_keys(obj, columns, row.where()))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _known_keys(
    obj: dict[str, Any],
    columns: tuple[str, ...] | frozenset[str],
    where: str,
    ignored: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    unknown = [k for k in obj if k not in columns and k not in ignored]
    if unknown:
        raise UsageError(f"{where}: unknown field {unknown[0]!r} (the fields are: {', '.join(columns)})")
    return {k: v for k, v in obj.items() if k not in ignored}


def _text(row: Row, key: str, *, where: str) -> str | None:
    value = row.values.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise UsageError(f"{where}: {key} must be text, not {json.dumps(value, default=str)}")
    return value if value.strip() else None


def _price(row: Row, key: str, *, where: str) -> Decimal | None:
    """A price as text ('19.99'), or a JSON number read as Decimal; the rules of money.py."""
    value = row.values.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return money.parse_price(value) if value.strip() else None
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise UsageError(f'{where}: {key} must be a price like "19.99", not {json.dumps(value)}')
    return money.check_price(Decimal(value))


# ---------------------------------------------------------------- shared lookups


class _Sources:
    """Source lookups for one import, each asked of the database once."""

    def __init__(self, session: Session, *, create_missing: bool = False) -> None:
        self.session = session
        self.create_missing = create_missing
        self.by_name: dict[str, Source] = {}
        self.by_store: dict[str, Source | None] = {}
        self.created: list[str] = []

    def named(self, name: str) -> Source:
        key = " ".join(name.split()).lower()
        found = self.by_name.get(key)
        if found is None:
            try:
                found = sources_service.find_source(self.session, name)
            except NotFound:
                if not self.create_missing:
                    raise
                found = sources_service.add_source(self.session, name=name)
                self.created.append(found.name)
            self.by_name[key] = found
        return found

    def for_url(self, url: str) -> Source | None:
        api_name = stores.store_for_url(url).api_name
        if api_name not in self.by_store:
            self.by_store[api_name] = sources_service.source_for_store(self.session, api_name)
        return self.by_store[api_name]


def _link(url: str, source: Source | None) -> str:
    return stores.affiliate_link(
        url,
        tracking_id=source.tracking_id if source else None,
        link_template=source.link_template if source else None,
    )


def _chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _existing_ids(session: Session, canonical_urls: Iterable[str]) -> dict[str, int]:
    """{normalized URL: product id} for the URLs already stored."""
    found: dict[str, int] = {}
    conn = session.connection()
    for chunk in _chunks(canonical_urls):
        rows = conn.execute(sa.select(P.c.canonical_url, P.c.id).where(P.c.canonical_url.in_(chunk)))
        found.update({url: pid for url, pid in rows})
    return found


def _insert_products(session: Session, rows: list[dict[str, Any]]) -> int:
    """Bulk INSERT ... ON CONFLICT (canonical_url) DO NOTHING; how many rows went in.

    The conflict clause makes a concurrent writer that stored the same page a
    moment ago harmless (PostgreSQL; SQLite writers queue on BEGIN IMMEDIATE).
    """
    if not rows:
        return 0
    stmt = products_service.upsert_insert(session, P).on_conflict_do_nothing(
        index_elements=[P.c.canonical_url]
    )
    result = session.connection().execute(stmt, rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def run_import(engine: Engine, source: Input, work: Callable[[Session], T]) -> T:
    """WORK in one transaction, retried on write conflicts when the input can be read again."""
    from ishop4u_cli import db

    started = False

    def attempt(session: Session) -> T:
        nonlocal started
        if started:
            source.rewind()
        started = True
        return work(session)

    return db.run_transaction(engine, attempt, attempts=8 if source.seekable else 1)


# ---------------------------------------------------------------- product import

PRODUCT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class ProductImport:
    rows: int  # data rows read
    added: int  # new products
    already_stored: int  # rows whose product (same normalized URL) was already stored
    repeated: int  # rows that repeat an earlier row's product in the same file


def product_rows(source: Input, fmt: str | None) -> Iterator[Row]:
    """The rows of a product file: CSV with a header, or JSON Lines (FMT None: by content)."""

    def rows() -> Iterator[Row]:
        lines: Iterator[str] = iter(source.text)
        chosen = fmt
        if chosen is None:
            first, lines = _sniff(lines)
            chosen = "jsonl" if first == "{" else "csv"
        if chosen == "csv":
            yield from csv_rows(source.name, lines, columns=PRODUCT_COLUMNS, required=("url",))
        else:
            yield from jsonl_rows(source.name, lines, columns=PRODUCT_COLUMNS)

    return _decode_errors(source.name, rows())


def _product_values(row: Row, sources: _Sources, default_currency: str) -> dict[str, Any]:
    """One row checked as `product add URL --name --price --currency --image --source` checks it."""
    where = row.where()
    try:
        url = _text(row, "url", where=where)
        if url is None:
            raise UsageError("no url: every row needs the product's page (http or https)")
        price = _price(row, "price", where=where)
        new = products_service.parse_new_product(
            url,
            name=_text(row, "name", where=where),
            currency=_text(row, "currency", where=where),
            image=_text(row, "image", where=where),
            source=_text(row, "source", where=where),
        )
        source = sources.named(new.source) if new.source is not None else sources.for_url(new.url)
        return {
            "name": new.name or products_service.name_from_url(new.url),
            "price": price,
            "currency": new.currency or default_currency,
            "image_url": new.image_url,
            "affiliate_link": _link(new.url, source),
            "affiliate_source_id": source.id if source else None,
            "canonical_url": new.canonical_url,
        }
    except (UsageError, NotFound) as exc:
        message = str(exc)
        prefix = f"{where}: "
        raise UsageError(message if message.startswith(prefix) else prefix + message) from None


def import_products(
    session: Session, rows: Iterable[Row], *, source: Input | None = None, progress: Progress | None = None
) -> ProductImport:
    """Store every row's product in this transaction; the first bad row raises (nothing stays)."""
    default_currency = money.default_currency()
    sources = _Sources(session)
    seen: set[str] = set()
    total = added = stored = repeated = 0
    for chunk in _chunks(rows):
        fresh: dict[str, dict[str, Any]] = {}
        for row in chunk:
            values = _product_values(row, sources, default_currency)
            key = values["canonical_url"]
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            fresh[key] = values
        total += len(chunk)
        already = _existing_ids(session, fresh)
        stored += len(already)
        added += _insert_products(session, [v for k, v in fresh.items() if k not in already])
        if progress is not None:
            progress(source.position() if source else 0, total)
    return ProductImport(rows=total, added=added, already_stored=stored, repeated=repeated)


# ---------------------------------------------------------------- cart export


@dataclass(frozen=True)
class ExportLine:
    """A cart line as exported: cart list's fields plus the page and the image."""

    line: cart_service.CartLine
    image_url: str | None


def export_cart(session: Session, *, user_id: int) -> tuple[cart_service.Cart, list[ExportLine]]:
    """The user's cart (as `cart list` orders it) with each product's image."""
    contents = cart_service.get_cart(session, user_id=user_id)
    images: dict[int, str | None] = {}
    conn = session.connection()
    for chunk in _chunks([line.product_id for line in contents.lines]):
        images.update(conn.execute(sa.select(P.c.id, P.c.image_url).where(P.c.id.in_(chunk))).all())
    return contents, [ExportLine(line, images.get(line.product_id)) for line in contents.lines]


# ---------------------------------------------------------------- cart import

CART_SUFFIXES = {".json": "json", ".csv": "csv"}


@dataclass(frozen=True)
class CartImport:
    items: int  # items read
    products_added: int  # products that were not stored yet
    cart_added: int  # products that were not in the cart yet
    cart_updated: int  # products already in the cart, their quantity and notes set from the file
    sources_created: list[str]


def cart_rows(source: Input, fmt: str | None) -> Iterator[Row]:
    """The items of a cart file: the JSON document of `cart export`, or its CSV."""

    def rows() -> Iterator[Row]:
        lines: Iterator[str] = iter(source.text)
        chosen = fmt
        if chosen is None:
            first, lines = _sniff(lines)
            chosen = "json" if first == "{" else "csv"
        if chosen == "csv":
            yield from csv_rows(source.name, lines, columns=CART_COLUMNS, required=(), ignored=CART_IGNORED)
        else:
            yield from _json_items(source.name, lines)

    return _decode_errors(source.name, rows())


def _json_items(name: str, lines: Iterable[str]) -> Iterator[Row]:
    """The items of a JSON document {"items": [...]} (read whole: a cart is not a catalogue)."""
    try:
        doc = json.loads("".join(lines), parse_float=Decimal, parse_constant=_no_constant)
    except ValueError as exc:
        raise UsageError(f"{name}: not valid JSON: {exc}") from None
    items = doc.get("items") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise UsageError(f'{name}: not a cart: expected a JSON object with an "items" list')
    for number, item in enumerate(items, start=1):
        row = Row(number, None, {}, noun="item")
        if not isinstance(item, dict):
            raise UsageError(f"{row.where()}: not a JSON object")
        yield replace(row, values=_known_keys(item, CART_COLUMNS, row.where(), CART_IGNORED))


def _quantity(row: Row, where: str) -> int:
    value = row.values.get("quantity")
    if value is None:
        return 1
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            value = int(text)
    elif isinstance(value, Decimal):  # 1.5 or 2.0 in JSON: not a whole number of items
        raise UsageError(
            f"a quantity is a whole number from {cart_service.QTY_MIN} to {cart_service.QTY_MAX}, not {value}"
        )
    return cart_service.check_quantity(value)


def _added_at(row: Row, where: str) -> datetime | None:
    value = row.values.get("added_at")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            if when.tzinfo is not None:
                when = when.astimezone(UTC).replace(tzinfo=None)
            return when
    raise UsageError(
        f'added_at must be a date and time like "2025-01-31 18:05:00", not {json.dumps(value, default=str)}'
    )


@dataclass
class _CartEntry:
    where: str
    product: dict[str, Any]  # the product's row, should it need storing
    quantity: int
    notes: str | None
    added_at: datetime | None


def _cart_entry(row: Row, sources: _Sources, default_currency: str) -> _CartEntry:
    where = row.where()
    try:
        link = _text(row, "affiliate_link", where=where)
        url = _text(row, "url", where=where) or link
        if url is None:
            raise UsageError("no url or affiliate_link: each item needs its product's page")
        notes = row.values.get("notes")
        if notes is not None and not isinstance(notes, str):
            raise UsageError(f"notes must be text, not {json.dumps(notes, default=str)}")
        new = products_service.parse_new_product(
            url,
            name=_text(row, "name", where=where),
            currency=_text(row, "currency", where=where),
            image=_text(row, "image_url", where=where),
            source=_text(row, "source", where=where),
        )
        price = _price(row, "price", where=where)
        source = sources.named(new.source) if new.source is not None else sources.for_url(new.url)
        product = {
            "name": new.name or products_service.name_from_url(new.url),
            "price": price,
            "currency": new.currency or default_currency,
            "image_url": new.image_url,
            # The link as exported is kept as it is: it may carry a tag this database lacks.
            "affiliate_link": stores.check_url(link) if link is not None else _link(new.url, source),
            "affiliate_source_id": source.id if source else None,
            "canonical_url": new.canonical_url,
        }
        return _CartEntry(
            where=where,
            product=product,
            quantity=_quantity(row, where),
            notes=cart_service.clean_notes(notes) if notes is not None else None,
            added_at=_added_at(row, where),
        )
    except (UsageError, NotFound) as exc:
        message = str(exc)
        prefix = f"{where}: "
        raise UsageError(message if message.startswith(prefix) else prefix + message) from None


def import_cart(
    session: Session,
    *,
    user_id: int,
    rows: Iterable[Row],
    source: Input | None = None,
    progress: Progress | None = None,
) -> CartImport:
    """Put the file's items in USER_ID's cart, in this transaction; the first bad item raises.

    - A product is found by its normalized URL; one not stored yet is stored
      from the item (its price, currency, name, image, source and link, the
      link as exported). A stored product is used as it is.
    - The item's quantity and notes REPLACE those of the same product already
      in the cart (so importing a file twice gives the same cart); cart items
      the file does not mention are kept.
    - A missing source is created by name, so an export from another database
      comes back whole.
    """
    default_currency = money.default_currency()
    sources = _Sources(session, create_missing=True)
    first_seen: dict[str, str] = {}
    items = products_added = cart_added = cart_updated = 0
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    conn = session.connection()
    for chunk in _chunks(rows):
        entries: list[_CartEntry] = []
        for row in chunk:
            entry = _cart_entry(row, sources, default_currency)
            key = entry.product["canonical_url"]
            if key in first_seen:
                raise UsageError(
                    f"{entry.where}: the same product as {first_seen[key]} ({key}); list each product once"
                )
            first_seen[key] = entry.where
            entries.append(entry)
        items += len(entries)
        keys = [e.product["canonical_url"] for e in entries]
        ids = _existing_ids(session, keys)
        products_added += _insert_products(
            session, [e.product for e in entries if e.product["canonical_url"] not in ids]
        )
        ids.update(_existing_ids(session, [k for k in keys if k not in ids]))
        in_cart = set(
            conn.execute(
                sa.select(C.c.product_id).where(C.c.user_id == user_id, C.c.product_id.in_(ids.values()))
            ).scalars()
        )
        values = [
            {
                "user_id": user_id,
                "product_id": ids[e.product["canonical_url"]],
                "quantity": e.quantity,
                "notes": e.notes,
                "added_at": e.added_at or now,
            }
            for e in entries
        ]
        cart_updated += sum(1 for v in values if v["product_id"] in in_cart)
        cart_added += sum(1 for v in values if v["product_id"] not in in_cart)
        insert = products_service.upsert_insert(session, C)
        stmt = insert.on_conflict_do_update(
            index_elements=[C.c.user_id, C.c.product_id],
            set_={"quantity": insert.excluded.quantity, "notes": insert.excluded.notes},
        )
        if values:
            conn.execute(stmt, values)
        if progress is not None:
            progress(source.position() if source else 0, items)
    return CartImport(
        items=items,
        products_added=products_added,
        cart_added=cart_added,
        cart_updated=cart_updated,
        sources_created=sources.created,
    )
