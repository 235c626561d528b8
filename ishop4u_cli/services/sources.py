"""Affiliate sources (stores): finding them by name, adding, editing, removing.

A source is named by its name or its api_name, case-insensitively (or by its
numeric id when no name matches). Queries go through the Core tables and come
back as small dataclasses (the rule in ishop4u_cli/tables.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, stores
from ishop4u_cli.errors import Conflict, NotFound, UsageError
from ishop4u_cli.stores import urls
from ishop4u_cli.tables import cart_items, products, sources
from ishop4u_cli.text import one_line

NAME_MAX = 100
FIELD_NAMES = {
    "name": "name",
    "api_name": "api name",
    "base_url": "base URL",
    "tracking_id": "tag",
    "link_template": "link template",
}


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


@dataclass(frozen=True)
class EditResult:
    source: Source
    changed: list[str]
    relinked: int  # products whose affiliate link was rebuilt from the new tag or template


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


# ---------------------------------------------------------------- checks


def clean_name(name: str) -> str:
    cleaned = one_line(name)
    if not cleaned:
        raise UsageError("a source needs a name")
    if len(cleaned) > NAME_MAX:
        raise UsageError(f"a source name has at most {NAME_MAX} characters: {name!r}")
    return cleaned


def clean_api_name(api_name: str) -> str | None:
    """Lower case, no spaces ('' clears it)."""
    cleaned = api_name.strip().lower()
    if not cleaned:
        return None
    if any(ch.isspace() for ch in cleaned) or len(cleaned) > NAME_MAX:
        raise UsageError(f"an api name is one word of at most {NAME_MAX} characters: {api_name!r}")
    return cleaned


def clean_base_url(base_url: str) -> str | None:
    """An http(s) URL ('' clears it)."""
    if not base_url.strip():
        return None
    try:
        return stores.check_url(base_url)
    except stores.CredentialsInUrl:
        raise
    except UsageError:
        raise UsageError(f"not a base URL (http or https with a host): {base_url!r}") from None


def clean_tracking_id(tag: str) -> str | None:
    cleaned = tag.strip()
    if not cleaned:
        return None
    if any(ch.isspace() for ch in cleaned) or len(cleaned) > NAME_MAX:
        raise UsageError(f"a tracking id is one word of at most {NAME_MAX} characters: {tag!r}")
    return cleaned


def clean_link_template(template: str) -> str | None:
    """An http(s) URL with a {url} placeholder (and maybe {tracking_id}); '' clears it."""
    if not template.strip():
        return None
    return urls.check_link_template(template)


def check_template_uses_tag(tracking_id: str | None, link_template: str | None) -> None:
    """UsageError when a source has a tracking id its link template would silently leave out."""
    if tracking_id and link_template and "{tracking_id}" not in link_template:
        raise UsageError(
            f"link template {link_template!r} has no {{tracking_id}} placeholder for the tag "
            f"{tracking_id!r}: add it where the network wants your id, or clear the tag (--tag '')"
        )


def _check_unique(session: Session, *, names: list[str], except_id: int | None) -> None:
    """Conflict when any of NAMES is already some other source's name or api_name."""
    keys = sorted({n.lower() for n in names if n})
    if not keys:
        return
    stmt = sa.select(sources.c.id, sources.c.name).where(
        sa.or_(sa.func.lower(sources.c.name).in_(keys), sa.func.lower(sources.c.api_name).in_(keys))
    )
    if except_id is not None:
        stmt = stmt.where(sources.c.id != except_id)
    row = session.exec(stmt).first()
    if row is not None:
        taken = ", ".join(repr(n) for n in names if n)
        raise Conflict(f"a source already uses {taken}: {row.name!r} (id {row.id})")


# ---------------------------------------------------------------- changes


def add_source(
    session: Session,
    *,
    name: str,
    api_name: str | None = None,
    base_url: str | None = None,
    tracking_id: str | None = None,
    link_template: str | None = None,
) -> Source:
    """A new source; Conflict when its name or api_name is taken (any case). Its link template,
    when given, is checked as `source edit` checks it."""
    name = clean_name(name)
    api = clean_api_name(api_name) if api_name is not None else None
    url = clean_base_url(base_url) if base_url is not None else None
    tag = clean_tracking_id(tracking_id) if tracking_id is not None else None
    template = clean_link_template(link_template) if link_template is not None else None
    check_template_uses_tag(tag, template)
    _check_unique(session, names=[name, api or ""], except_id=None)
    new_id = session.exec(
        sa.insert(sources)
        .values(name=name, api_name=api, base_url=url, tracking_id=tag, link_template=template)
        .returning(sources.c.id)
    ).scalar_one()
    return get_source(session, new_id)


def edit_source(
    session: Session,
    ident: str,
    *,
    name: str | None = None,
    api_name: str | None = None,
    base_url: str | None = None,
    tracking_id: str | None = None,
    link_template: str | None = None,
) -> EditResult:
    """Change what is given ('' clears the optional fields).

    A link template must be an http(s) URL with {url}, and {tracking_id} when the
    source has a tag (checked whenever either is given; UsageError, nothing written).
    When the tracking id or link template changes, the products of this source
    whose affiliate link we built from the old ones get a link built from the
    new ones; links the user gave (carrying their own affiliate id) stay.
    """
    old = find_source(session, ident)
    values: dict[str, str | None] = {}
    if name is not None:
        values["name"] = clean_name(name)
    if api_name is not None:
        values["api_name"] = clean_api_name(api_name)
    if base_url is not None:
        values["base_url"] = clean_base_url(base_url)
    if tracking_id is not None:
        values["tracking_id"] = clean_tracking_id(tracking_id)
    if link_template is not None:
        values["link_template"] = clean_link_template(link_template)
    if not values:
        raise UsageError("nothing to change: give --name, --api-name, --base-url, --tag or --link-template")
    if "tracking_id" in values or "link_template" in values:
        check_template_uses_tag(
            values.get("tracking_id", old.tracking_id), values.get("link_template", old.link_template)
        )
    changed = [FIELD_NAMES[key] for key, value in values.items() if getattr(old, key) != value]
    _check_unique(
        session,
        names=[values.get("name") or "", values.get("api_name") or ""],
        except_id=old.id,
    )
    if changed:
        session.exec(sa.update(sources).where(sources.c.id == old.id).values(**values))
    new = get_source(session, old.id)
    relinked = 0
    if (old.tracking_id, old.link_template) != (new.tracking_id, new.link_template):
        relinked = _relink(session, old, new)
    return EditResult(new, changed, relinked)


def _relink(session: Session, old: Source, new: Source) -> int:
    """Rebuild the links we built for OLD's products with NEW's tag and template."""
    rows = session.exec(
        sa.select(products.c.id, products.c.canonical_url, products.c.affiliate_link).where(
            products.c.affiliate_source_id == old.id, products.c.canonical_url.is_not(None)
        )
    ).all()
    updates = []
    for row in rows:
        try:
            if row.affiliate_link != affiliate_link_for(row.canonical_url, old):
                continue  # the user's own link: kept as given
            link = affiliate_link_for(row.canonical_url, new)
        except UsageError:
            continue  # a stored URL we cannot read: leave it alone
        if link != row.affiliate_link:
            updates.append({"pid": row.id, "link": link})
    if updates:
        session.exec(
            sa.update(products)
            .where(products.c.id == sa.bindparam("pid"))
            .values(affiliate_link=sa.bindparam("link")),
            params=updates,
        )
    return len(updates)


def remove_source(session: Session, source_id: int) -> SourceSummary:
    """Delete the source; its products and their cart items go with it (ON DELETE CASCADE)."""
    found = summary(session, get_source(session, source_id))
    session.exec(sa.delete(sources).where(sources.c.id == source_id))
    return found
