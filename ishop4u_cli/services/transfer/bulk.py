"""What both imports share with the database: chunks, source lookups, bulk INSERTs, one retried transaction.

Rows are written in chunks with one executemany per statement, never an ORM
object per row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from ishop4u_cli.errors import NotFound
from ishop4u_cli.services import history, permissions, source_edit
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import observations, products

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from ishop4u_cli.services.sources import Source
    from ishop4u_cli.services.transfer.inputs import Input

T = TypeVar("T")

# Rows per bulk statement: large enough that per-statement costs vanish, small
# enough that a chunk's parameters stay well under SQLite's variable limit.
CHUNK_ROWS = 2000


def chunks(items: Iterable[T], size: int = CHUNK_ROWS) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


class SourceCache:
    """Source lookups for one import, each asked of the database once."""

    def __init__(self, session: Session, *, create_missing: bool = False) -> None:
        self.session = session
        self.create_missing = create_missing
        self.by_name: dict[str, Source] = {}
        self.by_url: sources_service.SourcesByUrl | None = None  # read when a row needs it
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
                found = source_edit.bare_source(self.session, name)
                self.created.append(found.name)
            self.by_name[key] = found
        return found

    def for_url(self, url: str) -> Source | None:
        if self.by_url is None:
            self.by_url = sources_service.SourcesByUrl(self.session)
        return self.by_url.for_url(url)

    def source_of(self, name: str | None, url: str) -> Source | None:
        """The source NAME names, else the one URL's store belongs to (as `product add` picks it)."""
        return self.named(name) if name is not None else self.for_url(url)


def existing_ids(session: Session, canonical_urls: Iterable[str]) -> dict[str, int]:
    """{normalized URL: product id} for the URLs already stored."""
    found: dict[str, int] = {}
    conn = session.connection()
    for chunk in chunks(canonical_urls):
        rows = conn.execute(
            sa.select(products.c.canonical_url, products.c.id).where(products.c.canonical_url.in_(chunk))
        )
        found.update({url: pid for url, pid in rows})
    return found


def insert_products(
    session: Session, rows: list[dict[str, Any]], *, created_by: int | None = None
) -> dict[str, int]:
    """Bulk INSERT ... ON CONFLICT (canonical_url) DO NOTHING; {normalized URL: id} of the rows that went in.

    The conflict clause makes a concurrent writer that stored the same page a
    moment ago harmless (PostgreSQL; SQLite writers queue on BEGIN IMMEDIATE);
    RETURNING names exactly the rows this statement stored. The products are
    CREATED_BY's (else each row's `created_by`, else the signed-in user's): the
    importer's, so that their links are the importer's to change.
    """
    if not rows:
        return {}
    if created_by is None and "created_by" not in rows[0]:
        created_by = permissions.signed_in(session).id
    if created_by is not None:
        rows = [{**row, "created_by": created_by} for row in rows]
    stmt = (
        upsert_insert(session, products)
        .on_conflict_do_nothing(index_elements=[products.c.canonical_url])
        .returning(products.c.canonical_url, products.c.id)
    )
    return {url: pid for url, pid in session.connection().execute(stmt, rows)}


def record_imported(
    session: Session,
    stored: dict[str, int],
    rows: list[dict[str, Any]],
    *,
    at: datetime,
    user_id: int | None = None,
) -> None:
    """The price of each product row this import STORED, as one observation (origin "import").

    One executemany for the chunk; rows without a price are no observation. Each
    is USER_ID's (the importer; default: the signed-in user).
    """
    if user_id is None:
        user_id = permissions.signed_in(session).id
    observed = [
        history.observation_row(
            stored[row["canonical_url"]],
            price=row["price"],
            currency=row["currency"],
            origin="import",
            at=at,
            user_id=user_id,
        )
        for row in rows
        if row["price"] is not None and row["canonical_url"] in stored
    ]
    if observed:
        session.connection().execute(sa.insert(observations), observed)


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
