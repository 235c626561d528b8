"""Products: one row per product page, with its price, currency and affiliate link.

Adding is split in three so that a page is never fetched inside a transaction
(a network wait must not hold SQLite's write lock):

1. `parse_new_product` checks what was typed (no database, no network);
2. the caller fetches the page when `needs_page` says so (services.pages) and
   merges it with `with_page`; the command line wins over the page;
3. `add_product` stores it, race-safe: INSERT ... ON CONFLICT (canonical_url)
   DO NOTHING, then the existing row is read. The same page is stored once;
   adding it again returns the stored product unchanged.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import money, stores
from ishop4u_cli.errors import Conflict, NotFound, UsageError
from ishop4u_cli.models import AffiliateSource, CartItem, Product
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.sources import Source

if TYPE_CHECKING:
    from ishop4u_cli.services.pages import PageInfo

P = Product.__table__
S = AffiliateSource.__table__
C = CartItem.__table__

NAME_MAX = 255
FIELD_NAMES = {  # columns as `product edit` reports them
    "name": "name",
    "price": "price",
    "currency": "currency",
    "image_url": "image",
    "affiliate_source_id": "source",
    "canonical_url": "page",
    "affiliate_link": "affiliate link",
}


@dataclass(frozen=True)
class ProductView:
    """A product as shown and written as JSON."""

    id: int
    name: str
    price: Decimal | None
    currency: str
    image_url: str | None
    affiliate_link: str
    affiliate_source_id: int | None
    source: str | None  # the source's name
    url: str | None  # the normalized product page (canonical_url)


@dataclass(frozen=True)
class NewProduct:
    """What the command line (and maybe the page) says about a product to add."""

    url: str  # as given, checked: it may carry the user's own affiliate id
    canonical_url: str
    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    image_url: str | None = None
    source: str | None = None  # --source, a name or api name


@dataclass(frozen=True)
class AddResult:
    product: ProductView
    created: bool
    ignored: list[str]  # options given for a product that already existed


# ---------------------------------------------------------------- checks


def clean_name(name: str) -> str:
    cleaned = sources_service.one_line(name)
    if not cleaned:
        raise UsageError("a product name cannot be empty")
    if len(cleaned) > NAME_MAX:
        raise UsageError(f"a product name has at most {NAME_MAX} characters, not {len(cleaned)}")
    return cleaned


def clean_image_url(image: str) -> str:
    try:
        return stores.check_url(image)
    except UsageError:
        raise UsageError(f"not an image URL (http or https with a host): {image!r}") from None


def parse_new_product(
    url: str,
    *,
    name: str | None = None,
    price: str | None = None,
    currency: str | None = None,
    image: str | None = None,
    source: str | None = None,
) -> NewProduct:
    """Check what was typed; UsageError naming the first bad value. No database, no network."""
    checked = stores.check_url(url)
    if currency is None:
        money.default_currency()  # a bad $ISHOP4U_CURRENCY is a usage error before any work
    return NewProduct(
        url=checked,
        canonical_url=stores.normalize_url(checked),
        name=clean_name(name) if name is not None else None,
        price=money.parse_price(price) if price is not None else None,
        currency=money.parse_currency(currency) if currency is not None else None,
        image_url=clean_image_url(image) if image is not None else None,
        source=source,
    )


def needs_page(new: NewProduct) -> bool:
    """True when the page could tell us something the command line did not."""
    return new.name is None or new.price is None


def with_page(new: NewProduct, page: PageInfo) -> tuple[NewProduct, list[str]]:
    """NEW filled in from PAGE where the command line said nothing; and the page's problems.

    The page's currency is taken only with the page's price: a price typed on
    the command line is in the default currency unless --currency says otherwise.
    """
    problems = list(page.problems)
    name, price, currency, image = new.name, new.price, new.currency, new.image_url
    if name is None and page.name:
        with contextlib.suppress(UsageError):
            name = clean_name(page.name[:NAME_MAX])
    if price is None and page.price is not None:
        try:
            price = money.check_price(page.price)
        except UsageError as exc:
            problems.append(f"the page's price is unusable: {exc}")
        else:
            if currency is None and page.currency:
                try:
                    currency = money.parse_currency(page.currency)
                except UsageError:
                    problems.append(
                        f"the page's currency {page.currency!r} is not an ISO 4217 code; using the default"
                    )
    if image is None and page.image_url:
        with contextlib.suppress(UsageError):
            image = clean_image_url(page.image_url)
    return replace(new, name=name, price=price, currency=currency, image_url=image), problems


def fill_from_page(new: NewProduct) -> tuple[NewProduct, list[str]]:
    """NEW completed from its page (fetched now: call it outside any transaction)."""
    from ishop4u_cli.services import pages

    return with_page(new, pages.fetch_page_info(new.url))


def name_from_url(url: str) -> str:
    """A readable name when neither the user nor the page gave one.

    The last path segment that reads like words ('handmade-blue-mug' ->
    'handmade blue mug'), else '<host> product <last segment>'.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    # Amazon's "ref=sr_1_1" path segments are tracking, never a name.
    segments = [unquote(seg) for seg in parts.path.split("/") if seg and not seg.startswith(("ref=", "ref_"))]
    for seg in reversed(segments):
        stem = re.sub(r"\.(html?|php|aspx?)$", "", seg, flags=re.IGNORECASE)
        words = [w for w in re.split(r"[-_+\s]+", stem) if w]
        if len(words) >= 2 and sum(any(ch.isalpha() for ch in w) for w in words) >= 2:
            return clean_name(" ".join(words)[:NAME_MAX])
    last = stores.product_id(url) or (
        re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE) if segments else ""
    )
    return clean_name(f"{host} product {last}".strip()[:NAME_MAX])


# ---------------------------------------------------------------- reading


def _view_select() -> sa.Select:
    return sa.select(
        P.c.id,
        P.c.name,
        P.c.price,
        P.c.currency,
        P.c.image_url,
        P.c.affiliate_link,
        P.c.affiliate_source_id,
        S.c.name.label("source"),
        P.c.canonical_url,
    ).select_from(P.outerjoin(S, S.c.id == P.c.affiliate_source_id))


def _row_to_view(row: sa.Row) -> ProductView:
    return ProductView(
        id=row.id,
        name=row.name,
        price=money.from_db(row.price),
        currency=row.currency,
        image_url=row.image_url,
        affiliate_link=row.affiliate_link,
        affiliate_source_id=row.affiliate_source_id,
        source=row.source,
        url=row.canonical_url,
    )


def get_product(session: Session, product_id: int) -> ProductView:
    row = session.exec(_view_select().where(P.c.id == product_id)).first()
    if row is None:
        raise NotFound(f"no product with id {product_id} (see: ishop4u product list)")
    return _row_to_view(row)


def find_by_url(session: Session, canonical_url: str) -> int | None:
    """The id of the product stored for this normalized URL, or None."""
    return session.exec(sa.select(P.c.id).where(P.c.canonical_url == canonical_url)).scalar()


def list_products(
    session: Session, *, source: str | None = None, search: str | None = None
) -> list[ProductView]:
    """Products by id; SEARCH is a case-insensitive substring of the name."""
    stmt = _view_select().order_by(P.c.id)
    if source is not None:
        found = sources_service.find_source(session, source)
        stmt = stmt.where(P.c.affiliate_source_id == found.id)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(P.c.name.ilike(f"%{escaped}%", escape="\\"))
    return [_row_to_view(row) for row in session.exec(stmt)]


def cart_count(session: Session, product_id: int) -> int:
    """How many carts hold the product."""
    return session.exec(
        sa.select(sa.func.count()).select_from(C).where(C.c.product_id == product_id)
    ).scalar_one()


# ---------------------------------------------------------------- changes


def _source_for(session: Session, new: NewProduct) -> Source | None:
    if new.source is not None:
        return sources_service.find_source(session, new.source)
    return sources_service.source_for_store(session, stores.store_for_url(new.url).api_name)


def _insert(dialect: str, table: sa.Table):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - ishop4u runs on SQLite and PostgreSQL
        raise UsageError(f"ishop4u needs SQLite or PostgreSQL, not {dialect}")
    return insert(table)


def upsert_insert(session: Session, table: sa.Table):
    """The dialect's INSERT that knows ON CONFLICT (SQLite and PostgreSQL)."""
    return _insert(session.get_bind().dialect.name, table)


def add_product(session: Session, new: NewProduct) -> AddResult:
    """Store NEW, or find the product already stored for its page (created=False)."""
    source = _source_for(session, new)
    if new.canonical_url:
        existing = find_by_url(session, new.canonical_url)
        if existing is not None:
            return AddResult(get_product(session, existing), False, _given(new))
    link = stores.affiliate_link(
        new.url,
        tracking_id=source.tracking_id if source else None,
        link_template=source.link_template if source else None,
    )
    stmt = (
        upsert_insert(session, P)
        .values(
            name=new.name or name_from_url(new.url),
            price=new.price,
            currency=new.currency or money.default_currency(),
            image_url=new.image_url,
            affiliate_link=link,
            affiliate_source_id=source.id if source else None,
            canonical_url=new.canonical_url,
        )
        .on_conflict_do_nothing(index_elements=[P.c.canonical_url])
        .returning(P.c.id)
    )
    new_id = session.exec(stmt).scalar()
    if new_id is None:  # another process stored the same page a moment ago
        existing = find_by_url(session, new.canonical_url)
        if existing is None:  # pragma: no cover - the conflict says it is there
            raise Conflict(f"could not store {new.url!r}: try again")
        return AddResult(get_product(session, existing), False, _given(new))
    return AddResult(get_product(session, new_id), True, [])


def _given(new: NewProduct) -> list[str]:
    names = {
        "name": new.name,
        "price": new.price,
        "currency": new.currency,
        "image": new.image_url,
        "source": new.source,
    }
    return [f"--{key}" for key, value in names.items() if value is not None]


@dataclass(frozen=True)
class ProductChanges:
    """What `product edit` was asked to change. None: leave it; '' clears where allowed."""

    name: str | None = None
    price: Decimal | None = None
    clear_price: bool = False
    currency: str | None = None
    image_url: str | None = None
    clear_image: bool = False
    source: str | None = None  # a name; '' for no source
    url: str | None = None
    canonical_url: str | None = None

    def empty(self) -> bool:
        return self == ProductChanges()


def parse_changes(
    *,
    name: str | None = None,
    price: str | None = None,
    currency: str | None = None,
    image: str | None = None,
    source: str | None = None,
    url: str | None = None,
) -> ProductChanges:
    """Check what `product edit` was given; UsageError naming the first bad value."""
    checked_url = stores.check_url(url) if url is not None else None
    return ProductChanges(
        name=clean_name(name) if name is not None else None,
        price=money.parse_price(price) if price is not None and price.strip() else None,
        clear_price=price is not None and not price.strip(),
        currency=money.parse_currency(currency) if currency is not None else None,
        image_url=clean_image_url(image) if image is not None and image.strip() else None,
        clear_image=image is not None and not image.strip(),
        source=source.strip() if source is not None else None,
        url=checked_url,
        canonical_url=stores.normalize_url(checked_url) if checked_url else None,
    )


def edit_product(session: Session, product_id: int, changes: ProductChanges) -> tuple[ProductView, list[str]]:
    """Apply CHANGES; returns the product and the names of the fields that changed.

    A new --url gets a new affiliate link, and (without --source) the source
    its host belongs to. A new source rebuilds the link when we built it (it
    equals the link made from the page and the old source's tag); a link the
    user gave is kept.
    """
    if changes.empty():
        raise UsageError("nothing to change: give --name, --price, --currency, --image, --source or --url")
    old = get_product(session, product_id)
    values: dict[str, object] = {}
    if changes.name is not None:
        values["name"] = changes.name
    if changes.price is not None or changes.clear_price:
        values["price"] = changes.price
    if changes.currency is not None:
        values["currency"] = changes.currency
    if changes.image_url is not None or changes.clear_image:
        values["image_url"] = changes.image_url

    old_source = (
        sources_service.get_source(session, old.affiliate_source_id) if old.affiliate_source_id else None
    )
    new_source = old_source
    if changes.source is not None:
        new_source = sources_service.find_source(session, changes.source) if changes.source else None
    elif changes.url is not None:
        new_source = sources_service.source_for_store(session, stores.store_for_url(changes.url).api_name)
    if (new_source.id if new_source else None) != old.affiliate_source_id:
        values["affiliate_source_id"] = new_source.id if new_source else None

    def link_for(url: str, source: Source | None) -> str:
        return stores.affiliate_link(
            url,
            tracking_id=source.tracking_id if source else None,
            link_template=source.link_template if source else None,
        )

    if changes.url is not None:
        other = find_by_url(session, changes.canonical_url or "")
        if other is not None and other != product_id:
            raise Conflict(f"product {other} already has the page {changes.canonical_url}")
        values["canonical_url"] = changes.canonical_url
        values["affiliate_link"] = link_for(changes.url, new_source)
    elif "affiliate_source_id" in values and old.url:
        try:
            built_by_us = old.affiliate_link == link_for(old.url, old_source)
        except UsageError:
            built_by_us = False
        if built_by_us:
            values["affiliate_link"] = link_for(old.url, new_source)

    current = {
        "name": old.name,
        "price": old.price,
        "currency": old.currency,
        "image_url": old.image_url,
        "affiliate_source_id": old.affiliate_source_id,
        "canonical_url": old.url,
        "affiliate_link": old.affiliate_link,
    }
    values = {key: value for key, value in values.items() if current[key] != value}
    if values:
        session.exec(sa.update(P).where(P.c.id == product_id).values(**values))
    return get_product(session, product_id), [FIELD_NAMES[key] for key in values]


def remove_product(session: Session, product_id: int) -> tuple[ProductView, int]:
    """Delete the product; its cart items go with it (ON DELETE CASCADE). Returns how many carts."""
    product = get_product(session, product_id)
    carts = cart_count(session, product_id)
    session.exec(sa.delete(P).where(P.c.id == product_id))
    return product, carts
