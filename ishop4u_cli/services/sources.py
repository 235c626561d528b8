"""Affiliate sources (stores): finding them by name, and the links they make (changes: source_edit.py).

A source is named by its name or its api_name, case-insensitively (or by its
numeric id when no name matches). Queries go through the Core tables and come
back as small dataclasses (the rule in ishop4u_cli/tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, stores
from ishop4u_cli.errors import NotFound
from ishop4u_cli.stores import urls
from ishop4u_cli.tables import cart_items, products, sources


@dataclass(frozen=True)
class Source:
    id: int
    name: str
    api_name: str | None
    base_url: str | None
    tracking_id: str | None
    link_template: str | None


@dataclass(frozen=True)
class SourceSummary:
    source: Source
    products: int
    cart_items: int


def _row_to_source(row: sa.Row) -> Source:
    return Source(
        id=row.id,
        name=row.name,
        api_name=row.api_name,
        base_url=row.base_url,
        tracking_id=row.tracking_id,
        link_template=row.link_template,
    )


_COLUMNS = (
    sources.c.id,
    sources.c.name,
    sources.c.api_name,
    sources.c.base_url,
    sources.c.tracking_id,
    sources.c.link_template,
)


def list_sources(session: Session) -> list[SourceSummary]:
    """Every source with how many products and cart items it holds, by name."""
    product_counts = (
        sa.select(products.c.affiliate_source_id.label("sid"), sa.func.count().label("n"))
        .group_by(products.c.affiliate_source_id)
        .subquery()
    )
    item_counts = (
        sa.select(products.c.affiliate_source_id.label("sid"), sa.func.count().label("n"))
        .select_from(cart_items.join(products, cart_items.c.product_id == products.c.id))
        .group_by(products.c.affiliate_source_id)
        .subquery()
    )
    stmt = (
        sa.select(*_COLUMNS, product_counts.c.n.label("products"), item_counts.c.n.label("items"))
        .outerjoin(product_counts, product_counts.c.sid == sources.c.id)
        .outerjoin(item_counts, item_counts.c.sid == sources.c.id)
        .order_by(sa.func.lower(sources.c.name), sources.c.id)
    )
    return [
        SourceSummary(_row_to_source(row), row.products or 0, row.items or 0) for row in session.exec(stmt)
    ]


def find_source(session: Session, ident: str) -> Source:
    """The source named IDENT (name or api_name, any case; else its id); NotFound naming it."""
    key = ident.strip().lower()
    if key:
        rows = session.exec(
            sa.select(*_COLUMNS, (sa.func.lower(sources.c.name) == key).label("by_name"))
            .where(sa.or_(sa.func.lower(sources.c.name) == key, sa.func.lower(sources.c.api_name) == key))
            .order_by(sa.desc("by_name"), sources.c.id)
        ).first()
        if rows is not None:
            return _row_to_source(rows)
        if key.isdigit() and ids.in_range(int(key)):
            row = session.exec(sa.select(*_COLUMNS).where(sources.c.id == int(key))).first()
            if row is not None:
                return _row_to_source(row)
    raise NotFound(f"no source named {ident!r} (see: ishop4u source list)")


def get_source(session: Session, source_id: int) -> Source:
    row = (
        session.exec(sa.select(*_COLUMNS).where(sources.c.id == source_id)).first()
        if ids.in_range(source_id)
        else None
    )
    if row is None:
        raise NotFound(f"no source with id {source_id}")
    return _row_to_source(row)


def source_for_store(session: Session, api_name: str) -> Source | None:
    """The source whose api_name is the store's (amazon, ebay, ...), or None."""
    if not api_name or api_name == "generic":
        return None
    row = session.exec(
        sa.select(*_COLUMNS)
        .where(sa.func.lower(sources.c.api_name) == api_name.lower())
        .order_by(sources.c.id)
    ).first()
    return _row_to_source(row) if row is not None else None


class SourcesByUrl:
    """Which source new products are filed under, by their page's host, for one command or import.

    A page on the host of a source's base URL (with or without www., or under
    it) belongs to that source (a store the user added; the most specific host,
    then the oldest source, wins); any other page to its store's source, by api
    name. The sources are read once and each host is answered once, so a bulk
    import pays for a host, not a row.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        rows = session.exec(
            sa.select(*_COLUMNS).where(sources.c.base_url.is_not(None)).order_by(sources.c.id)
        )
        self.by_domain: dict[str, Source] = {}
        for row in rows:
            domain = stores.page_host(row.base_url).removeprefix("www.")
            if domain:
                self.by_domain.setdefault(domain, _row_to_source(row))
        self.by_host: dict[str, Source | None] = {}
        self.by_store: dict[str, Source | None] = {}

    def for_url(self, url: str) -> Source | None:
        host = stores.page_host(url)  # one host is one store (behind any affiliate redirect)
        if host not in self.by_host:
            domain = urls.match_domain(host.removeprefix("www."), self.by_domain) if host else None
            self.by_host[host] = self.by_domain[domain] if domain else self._of_store(url)
        return self.by_host[host]

    def _of_store(self, url: str) -> Source | None:
        api_name = stores.store_for_url(url).api_name
        if api_name not in self.by_store:
            self.by_store[api_name] = source_for_store(self.session, api_name)
        return self.by_store[api_name]


def source_for_url(session: Session, url: str) -> Source | None:
    """The source a new product at URL is filed under (SourcesByUrl says how), or None."""
    return SourcesByUrl(session).for_url(url)


def affiliate_link_for(url: str, source: Source | None) -> str:
    """The affiliate link for the product page URL with SOURCE's tag or template (no source: none)."""
    return stores.affiliate_link(
        url,
        tracking_id=source.tracking_id if source else None,
        link_template=source.link_template if source else None,
    )


def summary(session: Session, source: Source) -> SourceSummary:
    """SOURCE with the number of its products and of cart items holding them."""
    product_count = session.exec(
        sa.select(sa.func.count()).select_from(products).where(products.c.affiliate_source_id == source.id)
    ).scalar_one()
    item_count = session.exec(
        sa.select(sa.func.count())
        .select_from(cart_items.join(products, cart_items.c.product_id == products.c.id))
        .where(products.c.affiliate_source_id == source.id)
    ).scalar_one()
    return SourceSummary(source, product_count, item_count)


def summary_of(session: Session, ident: str) -> SourceSummary:
    """The source IDENT names (name or api name, any case) with its counts; NotFound otherwise."""
    return summary(session, find_source(session, ident))
