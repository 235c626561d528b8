"""Products: one row per product page, with its price, currency and affiliate link.

Adding is split in three so that a page is never fetched inside a transaction
(a network wait must not hold SQLite's write lock):

1. `parse_new_product` checks what was typed (no database, no network);
2. the caller fetches the page when `needs_page` says so (services.pages) and
   merges it with `with_page`; the command line wins over the page;
3. `add_product` stores it, race-safe: INSERT ... ON CONFLICT (canonical_url)
   DO NOTHING, then the existing row is read. The same page is stored once;
   adding it again returns the stored product unchanged. A new product's
   price is its first observation (services/history: origin "page" when the
   page gave it, "manual" when typed), and its page read its page_checks row.

Imports (services/transfer) never fetch pages: they share steps 1 and 3's
builders, `parse_new_product` and `product_values`. `product edit` and
`product remove` are in services/product_edit.py.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import ids, money, stores
from ishop4u_cli.errors import Conflict, NotFound, UsageError
from ishop4u_cli.services import history, permissions
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.product_names import NAME_MAX, clean_name, name_from_url
from ishop4u_cli.services.sources import Source
from ishop4u_cli.sql import upsert_insert
from ishop4u_cli.tables import cart_items, products, sources

if TYPE_CHECKING:
    from ishop4u_cli.services.page_data import PageInfo


@dataclass(frozen=True)
class StoredProduct:
    """A product as stored (with its source's name), as every view shows it."""

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
class PageRead:
    """The read of a product's page at add time, as page_checks keeps it."""

    at: datetime  # UTC, as history stores times
    availability: str  # history.AVAILABILITY
    failure: str | None = None  # why nothing could be read; None: the read worked


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
    # Set by with_page: the price is the page's (an observation of origin "page", else "manual"),
    # and how the page read went (None: no page was read).
    price_from_page: bool = False
    page: PageRead | None = None


@dataclass(frozen=True)
class AddResult:
    product: StoredProduct
    created: bool
    ignored: list[str]  # options given for a product that already existed


# ---------------------------------------------------------------- checks


def clean_image_url(image: str) -> str:
    try:
        return stores.check_url(image)
    except stores.CredentialsInUrl:
        raise
    except UsageError:
        raise UsageError(f"not an image URL (http or https with a host): {image!r}") from None


def parse_new_product(
    url: str,
    *,
    name: str | None = None,
    price: str | Decimal | None = None,
    currency: str | None = None,
    image: str | None = None,
    source: str | None = None,
) -> NewProduct:
    """Check what was typed (or imported); UsageError naming the first bad value. No database, no network.

    PRICE is text ("19.99") or, from a JSON import, a number already read as Decimal.
    """
    checked = stores.check_url(url)
    if currency is None:
        money.default_currency()  # a bad $ISHOP4U_CURRENCY is a usage error before any work
    if isinstance(price, str):
        checked_price: Decimal | None = money.parse_price(price)
    else:
        checked_price = money.check_price(price) if price is not None else None
    return NewProduct(
        url=checked,
        canonical_url=stores.normalize_url(checked),
        name=clean_name(name) if name is not None else None,
        price=checked_price,
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
    The read itself (when, the stock it showed, or why it gave nothing) goes
    along in NEW.page, for add_product to record.
    """
    problems = list(page.problems)
    name, price, currency, image = new.name, new.price, new.currency, new.image_url
    from_page = False
    if name is None and page.name:
        with contextlib.suppress(UsageError):
            name = clean_name(page.name[:NAME_MAX])
    if price is None and page.price is not None:
        try:
            price = money.check_price(page.price)
        except UsageError as exc:
            problems.append(f"the page's price is unusable: {exc}")
        else:
            from_page = True
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
    stock = page.availability if page.availability in history.AVAILABILITY else "unknown"
    # A page that gave nothing at all (an HTTP error, a timeout, a robot check) is a failed read.
    nothing = page.name is None and page.price is None and page.image_url is None and stock == "unknown"
    read = PageRead(history.now(), stock, page.problems[0] if nothing and page.problems else None)
    filled = replace(new, name=name, price=price, currency=currency, image_url=image)
    return replace(filled, price_from_page=from_page, page=read), problems


NOT_READ = (
    "the link is an affiliate redirect that names no page: not read, so that your link is never clicked"
)


def fill_from_page(new: NewProduct) -> tuple[NewProduct, list[str]]:
    """NEW completed from its page (fetched now: call it outside any transaction).

    The page read is the one a network link names (stores.page_to_read), never
    the link itself: fetching the user's affiliate link would count as a click.
    """
    from ishop4u_cli.services import pages

    page = stores.page_to_read(new.url)
    if page is None:
        return new, [NOT_READ]
    return with_page(new, pages.fetch_page_info(page))


def product_values(
    new: NewProduct, source: Source | None, *, default_currency: str, affiliate_link: str | None = None
) -> dict[str, Any]:
    """The products row NEW is stored as: the one builder `product add`, `cart add` and the imports share.

    What NEW leaves open is filled without the network: a name made from the
    URL, the currency of the store's regional site or else DEFAULT_CURRENCY, and
    the affiliate link built from SOURCE's tag or template (AFFILIATE_LINK, when
    given, is stored as it is).
    """
    link = (
        affiliate_link if affiliate_link is not None else sources_service.affiliate_link_for(new.url, source)
    )
    return {
        "name": new.name or name_from_url(new.url),
        "price": new.price,
        # Given (or read from the page), else the store site's own (amazon.co.uk: GBP), else the default.
        "currency": new.currency or stores.currency_of(new.url) or default_currency,
        "image_url": new.image_url,
        "affiliate_link": link,
        "affiliate_source_id": source.id if source else None,
        "canonical_url": new.canonical_url,
    }


# ---------------------------------------------------------------- reading


def _view_select() -> sa.Select:
    return sa.select(
        products.c.id,
        products.c.name,
        products.c.price,
        products.c.currency,
        products.c.image_url,
        products.c.affiliate_link,
        products.c.affiliate_source_id,
        sources.c.name.label("source"),
        products.c.canonical_url,
    ).select_from(products.outerjoin(sources, sources.c.id == products.c.affiliate_source_id))


def _row_to_view(row: sa.Row) -> StoredProduct:
    return StoredProduct(
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


def get_product(session: Session, product_id: int) -> StoredProduct:
    row = (
        session.exec(_view_select().where(products.c.id == product_id)).first()
        if ids.in_range(product_id)
        else None
    )
    if row is None:
        raise NotFound(f"no product with id {product_id} (see: ishop4u product list)")
    return _row_to_view(row)


def find_by_url(session: Session, canonical_url: str) -> int | None:
    """The id of the product stored for this normalized URL, or None."""
    return session.exec(sa.select(products.c.id).where(products.c.canonical_url == canonical_url)).scalar()


def list_products(
    session: Session, *, source: str | None = None, search: str | None = None
) -> list[StoredProduct]:
    """Products by id; SEARCH is a case-insensitive substring of the name."""
    stmt = _view_select().order_by(products.c.id)
    if source is not None:
        found = sources_service.find_source(session, source)
        stmt = stmt.where(products.c.affiliate_source_id == found.id)
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(products.c.name.ilike(f"%{escaped}%", escape="\\"))
    return [_row_to_view(row) for row in session.exec(stmt)]


def cart_count(session: Session, product_id: int) -> int:
    """How many carts hold the product."""
    return session.exec(
        sa.select(sa.func.count()).select_from(cart_items).where(cart_items.c.product_id == product_id)
    ).scalar_one()


@dataclass(frozen=True)
class ProductInCarts:
    """A product and how many carts hold it (`product show`, and what `product remove` takes along)."""

    product: StoredProduct
    carts: int


def get_with_carts(session: Session, product_id: int) -> ProductInCarts:
    return ProductInCarts(get_product(session, product_id), cart_count(session, product_id))


# ---------------------------------------------------------------- changes


def add_product(
    session: Session,
    new: NewProduct,
    *,
    created_by: int | None = None,
    by_url: sources_service.SourcesByUrl | None = None,
) -> AddResult:
    """Store NEW, or find the product already stored for its page (created=False).

    A new product is CREATED_BY's (default: the signed-in user's; NotSignedIn, exit 4,
    when nobody is), and so are its links (services/permissions.py). It is filed under
    --source, else the source BY_URL (one a command, shared by its products) finds for its page.
    """
    if created_by is None:
        created_by = permissions.signed_in(session).id
    # An unknown --source fails even for a page already stored; the URL's source is looked up for a new one.
    named = sources_service.find_source(session, new.source) if new.source is not None else None
    if new.canonical_url:
        existing = find_by_url(session, new.canonical_url)
        if existing is not None:
            return AddResult(get_product(session, existing), False, _given(new))
    source = (
        named
        if new.source is not None
        else (by_url or sources_service.SourcesByUrl(session)).for_url(new.url)
    )
    values = product_values(new, source, default_currency=money.default_currency())
    values["created_by"] = created_by
    stmt = (
        upsert_insert(session, products)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[products.c.canonical_url])
        .returning(products.c.id)
    )
    new_id = session.exec(stmt).scalar()
    if new_id is None:  # another process stored the same page a moment ago
        existing = find_by_url(session, new.canonical_url)
        if existing is None:  # pragma: no cover - the conflict says it is there
            raise Conflict(f"could not store {new.url!r}: try again")
        return AddResult(get_product(session, existing), False, _given(new))
    _record_history(session, new_id, new, currency=values["currency"], user_id=created_by)
    return AddResult(get_product(session, new_id), True, [])


def _record_history(
    session: Session, product_id: int, new: NewProduct, *, currency: str, user_id: int
) -> None:
    """The new product's first observation (when it has a price) and its page read (when there was one).

    A price from the page is observed when the page was read, with the stock it
    showed (origin "page"); a typed one now (origin "manual").
    """
    read = new.page
    good = read is not None and read.failure is None
    if new.price is not None:
        history.record(
            session,
            product_id,
            price=new.price,
            currency=currency,
            origin="page" if new.price_from_page else "manual",
            availability=read.availability if read is not None and good else "unknown",
            at=read.at if read is not None and new.price_from_page else None,
            user_id=user_id,
        )
    if read is not None:
        history.record_check(
            session,
            product_id,
            at=read.at,
            availability=read.availability if good else None,
            failure=read.failure,
        )


def _given(new: NewProduct) -> list[str]:
    names = {
        "name": new.name,
        "price": new.price,
        "currency": new.currency,
        "image": new.image_url,
        "source": new.source,
    }
    return [f"--{key}" for key, value in names.items() if value is not None]
