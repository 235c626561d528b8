"""`product import`: a CSV or JSON Lines catalogue stored in one transaction.

Each row is checked as `product add URL --name --price --currency --image
--source` checks it and built into a products row by the same builder
(services.products); no page is fetched. A row whose product (same normalized
URL) is already stored, or repeats an earlier row, adds nothing: an import never
changes a stored product (its link, price or anything else), so it needs no
permission beyond being signed in. The products it stores are the importer's
(`created_by`). Each product stored with a price gets one observation (origin
"import", the importer's), written per chunk with one executemany like the
products themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ishop4u_cli import money
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import history
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services.transfer.bulk import (
    SourceCache,
    chunks,
    existing_ids,
    insert_products,
    record_imported,
)
from ishop4u_cli.services.transfer.formats import (
    Row,
    csv_rows,
    jsonl_rows,
    price_value,
    read_rows,
    row_errors,
    text_value,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from ishop4u_cli.services.transfer.inputs import Input, Progress

PRODUCT_COLUMNS = ("name", "url", "price", "currency", "source", "image")
PRODUCT_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass(frozen=True)
class ProductImport:
    rows: int  # data rows read
    added: int  # new products
    already_stored: int  # rows whose product (same normalized URL) was already stored
    repeated: int  # rows that repeat an earlier row's product in the same file


def product_rows(source: Input, fmt: str | None) -> Iterator[Row]:
    """The rows of a product file: CSV with a header, or JSON Lines (FMT None: by content)."""
    return read_rows(
        source.name,
        source.text,
        fmt,
        json_format="jsonl",
        read_csv=lambda name, lines: csv_rows(name, lines, columns=PRODUCT_COLUMNS, required=("url",)),
        read_json=lambda name, lines: jsonl_rows(name, lines, columns=PRODUCT_COLUMNS),
    )


def _text(row: Row, key: str) -> str | None:
    """text_value, without making the row's name for an error that does not happen.

    A CSV cell is text or None (blank cells are None already): it is taken as it
    is; anything else (JSON Lines values) goes through text_value's checks.
    """
    value = row.values.get(key)
    if value is None or (value.__class__ is str and not value[:1].isspace() and value):
        return value
    return text_value(row, key, where=row.where())


def _price(row: Row) -> Decimal | None:
    value = row.values.get("price")
    if value.__class__ is str:
        return money.parse_price(value) if value.strip() else None
    return price_value(row, "price", where=row.where())


def _product_values(row: Row, cache: SourceCache, default_currency: str) -> dict[str, Any]:
    try:
        url = _text(row, "url")
        if url is None:
            raise UsageError("no url: every row needs the product's page (http or https)")
        price = _price(row)  # checked before the rest, as it always was
        new = products_service.parse_new_product(
            url,
            name=_text(row, "name"),
            price=price,
            currency=_text(row, "currency"),
            image=_text(row, "image"),
            source=_text(row, "source"),
        )
        source = cache.source_of(new.source, new.url)
        return products_service.product_values(new, source, default_currency=default_currency)
    except (UsageError, NotFound):
        # Named only now: making "row 3 (line 4)" for every row costs more than the checks it names.
        with row_errors(row.where()):
            raise


_ANY_PRODUCT = "SELECT 1 FROM products LIMIT 1"
_COLUMNS = (
    "name",
    "price",
    "currency",
    "image_url",
    "affiliate_link",
    "affiliate_source_id",
    "canonical_url",
    "created_by",
)
_INSERT_SQLITE = (
    f"INSERT INTO products ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT (canonical_url) DO NOTHING"
)


def _insert_sqlite(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """bulk.insert_products for SQLite, the rows handed to sqlite3's executemany as they are.

    The same statement SQLAlchemy would send, without its per-row parameter
    processing; prices go in as SQLAlchemy's Numeric sends them on SQLite (float).
    This transaction is the only writer (BEGIN IMMEDIATE) and ROWS are not stored
    yet, so every row goes in; the ids of the priced ones (for their observations)
    are read back by URL, as sqlite3's executemany returns no rows.
    """
    if not rows:
        return {}
    if len(rows[0]) != len(_COLUMNS):  # the row builder gained a column: SQLAlchemy knows them all
        return insert_products(session, rows)
    params = [
        (
            v["name"],
            None if v["price"] is None else float(v["price"]),
            v["currency"],
            v["image_url"],
            v["affiliate_link"],
            v["affiliate_source_id"],
            v["canonical_url"],
            v["created_by"],
        )
        for v in rows
    ]
    session.connection().exec_driver_sql(_INSERT_SQLITE, params)
    return existing_ids(session, [v["canonical_url"] for v in rows if v["price"] is not None])


def import_products(
    session: Session,
    rows: Iterable[Row],
    *,
    created_by: int,
    source: Input | None = None,
    progress: Progress | None = None,
) -> ProductImport:
    """Store every row's product, CREATED_BY's, in this transaction; the first bad row raises (nothing stays)."""
    default_currency = money.default_currency()
    cache = SourceCache(session)
    seen: set[str] = set()
    total = added = stored = repeated = 0
    sqlite = session.get_bind().dialect.name == "sqlite"
    # On SQLite this transaction began IMMEDIATE: no other writer until it ends. If it found no
    # products, none can be stored but its own, and `seen` catches those: no lookups needed.
    sole_writer = sqlite and session.connection().exec_driver_sql(_ANY_PRODUCT).first() is None
    write = _insert_sqlite if sqlite else insert_products
    now = history.now()
    for chunk in chunks(rows):
        fresh: dict[str, dict[str, Any]] = {}
        for row in chunk:
            values = _product_values(row, cache, default_currency)
            values["created_by"] = created_by
            key = values["canonical_url"]
            if key in seen:
                repeated += 1
                continue
            seen.add(key)
            fresh[key] = values
        total += len(chunk)
        already = {} if sole_writer else existing_ids(session, fresh)
        stored += len(already)
        new_rows = [v for k, v in fresh.items() if k not in already]
        ids = write(session, new_rows)
        record_imported(session, ids, new_rows, at=now, user_id=created_by)
        added += len(new_rows) if sqlite else len(ids)
        if progress is not None:
            progress(source.position() if source else 0, total)
    return ProductImport(rows=total, added=added, already_stored=stored, repeated=repeated)
