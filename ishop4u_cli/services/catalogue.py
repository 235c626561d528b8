"""Products added by their pages: the flow `product add` and `cart add` share.

A page is never fetched inside a transaction: a network wait must not hold
SQLite's write lock (or PostgreSQL's row locks) for seconds. So adding runs in
three phases, each here and nowhere else:

1. read (one short session): who is signed in (adding needs a user: say
   "not signed in" before any network wait), and which new products lack a name or a
   price and are not stored yet;
2. pages (no transaction open): fetch those pages and merge them in; the
   command line wins over the page (products.with_page);
3. write (one retried transaction): store the products and, for `cart add`,
   put them in the cart, all or nothing.

That is why the entry point takes the run's database handle (context.AppState,
or anything with its `session()` and `transaction()`), not a Session. A price
refresh (refresh.py) reads stored products instead of typed ones and writes
each result as it arrives, through the same engine (refresh_pool.py: several
pages at once, 2 at most a host). Services never print: what a page got wrong comes back
as warnings in the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol, TypeVar

import sqlalchemy as sa

from ishop4u_cli import stores
from ishop4u_cli.errors import UsageError
from ishop4u_cli.services import auth, cart_add, cart_items, refresh_pool
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services.cart_add import Added
from ishop4u_cli.services.cart_items import ItemRequest
from ishop4u_cli.services.products import AddResult, NewProduct
from ishop4u_cli.tables import products

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")
# Pages `product add` and `cart add` read at once (refresh's default --jobs); 2 at most a host.
PAGES_AT_ONCE = 8


class Database(Protocol):
    """The run's database: short read sessions and retried write transactions (context.AppState)."""

    def session(self) -> AbstractContextManager[Session]: ...

    def transaction(self, work: Callable[[Session], T]) -> T: ...


@dataclass(frozen=True)
class PageWarning:
    """Something a product page got wrong; the product is added all the same."""

    url: str  # the page as given
    problem: str


@dataclass(frozen=True)
class CartOrder:
    """Put the products in the signed-in user's cart as well (`cart add`)."""

    quantity: int = 1
    notes: str | None = None  # None leaves the notes of items already in the cart as they are


@dataclass(frozen=True)
class Catalogued:
    """What `add` did, in the order the items were given."""

    products: list[AddResult]  # without a cart order: one per product
    cart: list[Added]  # with a cart order: one per item
    warnings: list[PageWarning]


def cart_requests(
    items: list[str],
    *,
    read_stdin: Callable[[], str],
    name: str | None = None,
    price: str | None = None,
    currency: str | None = None,
) -> list[ItemRequest]:
    """The ITEMs of `cart add`, checked; with NAME, PRICE or CURRENCY, the one new product page they describe.

    `cart add URL --price 19.99` stores the product and adds it in one step. Those
    options describe one page, so with several items (or stdin, or a product id)
    they are a usage error. For a page already stored they are ignored, as
    `product add` ignores them, and the result says so (Added.ignored).
    """
    given = [
        opt
        for opt, value in (("--name", name), ("--price", price), ("--currency", currency))
        if value is not None
    ]
    if not given:
        return cart_items.parse_items(items, read_stdin=read_stdin)
    options = " and ".join(given) + (" describe" if len(given) > 1 else " describes")
    if any(item.strip() == "-" for item in items):
        raise UsageError(f"{options} one product page: give its URL, not - (stdin)")
    if len(items) != 1:
        raise UsageError(
            f"{options} one product page: give one URL with {'them' if len(given) > 1 else 'it'}, "
            f"not {len(items)} items (add the others with another ishop4u cart add)"
        )
    (request,) = cart_items.parse_items(items, read_stdin=read_stdin)
    if request.new is None:
        raise UsageError(
            f"{options} a new product page, not the stored product {request.product_id} "
            f"(to change it: ishop4u product edit {request.product_id} {given[0]} ...)"
        )
    try:
        new = products_service.parse_new_product(request.new.url, name=name, price=price, currency=currency)
    except UsageError as exc:
        raise UsageError(f"{request.label}: {exc}") from None
    return [ItemRequest(label=request.label, new=new)]


def add(
    db: Database,
    items: Sequence[NewProduct | ItemRequest],
    *,
    fetch: bool = True,
    cart: CartOrder | None = None,
    on_start: Callable[[int], None] | None = None,
    on_page: Callable[[], None] | None = None,
) -> Catalogued:
    """Store the products ITEMS name, reading the pages of new ones when FETCH; with CART, add them to it.

    ITEMS are checked already (products.parse_new_product, cart.parse_items).
    Without CART every item is a product page; with it, ids of stored products
    are welcome too. All or nothing: the first bad item raises and nothing stays.
    ON_START(number of pages to read) and ON_PAGE() (each page read) are for a progress view.
    """
    requests = [_request(item) for item in items]
    news = _pages_wanted(db, requests, fetch=fetch)
    if on_start is not None:
        on_start(len(news))
    filled, warnings = read_pages(news, on_page=on_page)
    requests = [
        replace(r, new=filled[r.new.canonical_url])
        if r.new is not None and r.new.canonical_url in filled
        else r
        for r in requests
    ]
    if cart is None:
        stored = db.transaction(lambda s: [products_service.add_product(s, _page_of(r)) for r in requests])
        return Catalogued(products=stored, cart=[], warnings=warnings)
    lines = db.transaction(
        lambda s: cart_add.add_items(
            s,
            user_id=auth.current_user(s).id,
            requests=requests,
            quantity=cart.quantity,
            notes=cart.notes,
        )
    )
    return Catalogued(products=[], cart=lines, warnings=warnings)


def read_pages(
    news: Sequence[NewProduct], *, on_page: Callable[[], None] | None = None
) -> tuple[dict[str, NewProduct], list[PageWarning]]:
    """NEWS completed from their pages (by normalized URL), and what the pages got wrong (in NEWS' order).

    Fetches now, several pages at once (refresh_pool: PAGES_AT_ONCE, 2 at most a host), each
    within its own page timeout: call it outside any transaction.
    """
    jobs = [refresh_pool.Job(n, stores.page_to_read(new.url) or new.url) for n, new in enumerate(news)]

    def read(job: refresh_pool.Job, deadline: float) -> tuple[NewProduct, list[str]]:
        return products_service.fill_from_page(news[job.key])

    def give_up(job: refresh_pool.Job, last: object, why: str) -> tuple[NewProduct, list[str]]:
        return news[job.key], [why]

    read_by_index: dict[int, tuple[NewProduct, list[str]]] = {}
    # Each page has its own deadline (pages.read_timeout); the pool's is only a backstop.
    backstop = time.monotonic() + 24 * 3600
    for batch in refresh_pool.read_all(jobs, read, workers=PAGES_AT_ONCE, deadline=backstop, give_up=give_up):
        for outcome in batch:
            read_by_index[outcome.job.key] = outcome.result
            if on_page is not None:
                on_page()
    filled: dict[str, NewProduct] = {}
    warnings: list[PageWarning] = []
    for n, new in enumerate(news):
        filled[new.canonical_url], problems = read_by_index[n]
        warnings.extend(PageWarning(new.url, problem) for problem in problems)
    return filled, warnings


def _request(item: NewProduct | ItemRequest) -> ItemRequest:
    if isinstance(item, ItemRequest):
        return item
    return ItemRequest(label=item.url, new=item)


def _page_of(request: ItemRequest) -> NewProduct:
    if request.new is None:  # only a cart takes product ids: a caller's mistake, not the user's
        raise TypeError(f"{request.label}: a product id needs a cart order")
    return request.new


def _pages_wanted(db: Database, requests: Sequence[ItemRequest], *, fetch: bool) -> list[NewProduct]:
    """The read phase: the new products whose pages are worth reading (missing a name or price, not stored).

    Adding needs a signed-in user: NotSignedIn comes from here, before any page is fetched.
    """
    # Keyed by normalized URL, so the same page given twice is read once.
    wanted = (
        {
            r.new.canonical_url: r.new
            for r in requests
            if r.new is not None and products_service.needs_page(r.new)
        }
        if fetch
        else {}
    )
    with db.session() as session:
        auth.current_user(session)
        if not wanted:
            return []
        stored = set(  # one query for all of them, not one a page
            session.execute(
                sa.select(products.c.canonical_url).where(products.c.canonical_url.in_(list(wanted)))
            ).scalars()
        )
    return [new for url, new in wanted.items() if url not in stored]
