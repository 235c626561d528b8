"""`refresh`: read the products' pages again and record what each says now.

Three phases, as catalogue.py's, with one difference: results are written one
by one as they arrive, never all at the end, so Ctrl-C or a kill keeps every
result already written.

1. read (one short session): the signed-in user, the products to read (the
   cart by default), each one's page URL and the validators of its last read;
2. pages (refresh_pool.py, no transaction open): at most JOBS reads at once,
   2 a host, Retry-After honoured, the whole run bounded in time;
3. write (this thread, one transaction per product, as each result arrives):
   a good read sets the product's current price and currency, records an
   observation (origin "page") and the read (stock, ETag, Last-Modified),
   and evaluates the user's watches; a 304 records the read only (no new
   observation: the page said nothing new) and evaluates the watches at the
   stored price; a failure records when and why and keeps the last good price.

The whole run holds refresh_lock's lock: a second run says so and stops.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from ishop4u_cli import ids, money, settings, stores
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import auth, history, notify, pages, refresh_lock, refresh_pool, watches
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.catalogue import Database
from ishop4u_cli.tables import cart_items, page_checks, products

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from ishop4u_cli.services.watches import Alert

DEFAULT_JOBS = 8
MAX_JOBS = 64
TIME_LIMIT_VARIABLE = "ISHOP4U_REFRESH_TIMEOUT"
DEFAULT_TIME_LIMIT = 600.0  # seconds for a whole run
NOTIFY_VARIABLE = "ISHOP4U_NOTIFY_URLS"


class RefreshDatabase(Database, Protocol):
    """The run's database (context.AppState): sessions, transactions, and the engine for the lock."""

    def engine(self) -> Engine: ...

    def url(self) -> str: ...


@dataclass(frozen=True)
class Target:
    """A product to read, as the read phase found it."""

    product_id: int
    name: str
    page: str | None  # the URL to read; None: its link names no page (an affiliate redirect)
    etag: str | None
    last_modified: str | None


@dataclass(frozen=True)
class ProductCheck:
    """What one product's page said this run."""

    product_id: int
    name: str
    status: str  # "changed" | "unchanged" | "failed"
    old_price: Decimal | None
    new_price: Decimal | None  # the current price after the run (the old one when failed)
    old_currency: str
    currency: str
    availability: str  # the latest known (history.AVAILABILITY)
    checked_at: datetime | None  # UTC: when the page was last read well (this run, unless failed)
    failure: str | None = None


@dataclass
class Refreshed:
    """The run: one check per product (in the order they were listed), the alerts that fired."""

    checks: list[ProductCheck] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # notifications that could not be sent
    total: int = 0
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for c in self.checks if c.status == status)

    @property
    def all_failed(self) -> bool:
        return bool(self.checks) and not self.interrupted and self.count("failed") == len(self.checks)


def parse_jobs(value: int | None) -> int:
    if value is None:
        return DEFAULT_JOBS
    if not 1 <= value <= MAX_JOBS:
        raise UsageError(f"--jobs takes 1 to {MAX_JOBS} pages at once, not {value}")
    return value


def notify_urls(given: Sequence[str]) -> list[str]:
    """The --notify URLs, else those in ISHOP4U_NOTIFY_URLS (separated by blanks or commas)."""
    if given:
        return [u.strip() for u in given if u.strip()]
    return [u for u in re.split(r"[\s,]+", os.environ.get(NOTIFY_VARIABLE, "")) if u]


def time_limit() -> float:
    """Seconds a whole run may take: ISHOP4U_REFRESH_TIMEOUT when a positive number, else 600."""
    return settings.seconds_from_env(TIME_LIMIT_VARIABLE, DEFAULT_TIME_LIMIT, most=7 * 86400)


def refresh(
    db: RefreshDatabase,
    *,
    product_ids: Sequence[int] = (),
    everything: bool = False,
    source: str | None = None,
    jobs: int = DEFAULT_JOBS,
    notify_to: Sequence[str] = (),
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[ProductCheck], None] | None = None,
) -> Refreshed:
    """Read the pages of PRODUCT_IDS (else every product with EVERYTHING, else the signed-in user's cart),
    only SOURCE's with SOURCE; write each result as it comes, and send the alerts it fired to NOTIFY_TO.

    Ctrl-C stops the run: what was written stays, and the result says `interrupted`.
    """
    jobs = parse_jobs(jobs)
    notify.check_urls(notify_to)  # a missing Apprise or a mistyped URL stops the run before any read
    with refresh_lock.held(db.engine(), db.url()):
        with db.session() as session:
            user_id = auth.current_user(session).id
            targets = _targets(session, user_id, product_ids, everything=everything, source=source)
        result = Refreshed(total=len(targets))
        if on_start is not None:
            on_start(len(targets))
        done: dict[int, ProductCheck] = {}
        unreachable: set[str] = set()  # notification URLs that failed once this run
        try:
            for batch in _read(targets, jobs):
                # Results that arrived together are written together: one transaction, committed now.
                written = db.transaction(
                    lambda s, b=batch: [_write(s, user_id, p, c, history.now()) for p, c in b]
                )
                fired = [alert for _, alerts in written for alert in alerts]
                for check, _ in written:
                    done[check.product_id] = check
                    if on_result is not None:
                        on_result(check)
                result.alerts.extend(fired)
                # Sent as soon as they are written: a run killed later has delivered them already.
                result.warnings += notify.send(notify_to, fired, failed=unreachable)
        except KeyboardInterrupt:
            result.interrupted = True
        result.checks = [done[t.product_id] for t in targets if t.product_id in done]
    return result


def _targets(
    session: Session, user_id: int, product_ids: Sequence[int], *, everything: bool, source: str | None
) -> list[Target]:
    stmt = sa.select(
        products.c.id,
        products.c.name,
        products.c.affiliate_link,
        products.c.canonical_url,
        page_checks.c.etag,
        page_checks.c.last_modified,
    ).outerjoin(page_checks, page_checks.c.product_id == products.c.id)
    if product_ids:
        wanted = list(dict.fromkeys(product_ids))
        known = set(
            session.execute(
                sa.select(products.c.id).where(products.c.id.in_([i for i in wanted if ids.in_range(i)]))
            ).scalars()
        )
        missing = [i for i in wanted if i not in known]
        if missing:
            listed = ", ".join(str(i) for i in missing)
            raise NotFound(f"no product with id {listed} (see: ishop4u product list)")
        stmt = stmt.where(products.c.id.in_(wanted))
    elif not everything:
        in_cart = sa.select(cart_items.c.product_id).where(cart_items.c.user_id == user_id)
        stmt = stmt.where(products.c.id.in_(in_cart))
    if source is not None:
        found = sources_service.find_source(session, source)
        stmt = stmt.where(products.c.affiliate_source_id == found.id)
    return [
        Target(row.id, row.name, _page(row.canonical_url, row.affiliate_link), row.etag, row.last_modified)
        for row in session.execute(stmt.order_by(products.c.id))
    ]


def _page(canonical_url: str | None, affiliate_link: str) -> str | None:
    """The page to read: the normalized store URL (no tracking, no affiliate redirect), else the link's page."""
    for url in (canonical_url, affiliate_link):
        if url:
            page = stores.page_to_read(url)
            if page is not None:
                return page
    return None


NOT_READ = (
    "its link is an affiliate redirect that names no page: not read, so that your link is never clicked"
)


def _read(targets: Sequence[Target], jobs: int) -> Iterator[list[tuple[int, pages.Checked]]]:
    """(product id, pages.Checked) for each target, as the reads finish, those that arrived together in a list."""
    unread = [(t.product_id, pages.Checked("failed", failure=NOT_READ)) for t in targets if t.page is None]
    if unread:
        yield unread
    jobs_ = [
        refresh_pool.Job(t.product_id, t.page, t.etag, t.last_modified) for t in targets if t.page is not None
    ]

    def read(job: refresh_pool.Job, deadline: float) -> pages.Checked:
        return pages.check_page(job.url, etag=job.etag, last_modified=job.last_modified, deadline=deadline)

    def give_up(job: refresh_pool.Job, last: Any, why: str) -> pages.Checked:
        reason = f"{last.failure}: {why}" if last is not None and last.failure else why
        return pages.Checked("failed", failure=reason)

    outcomes = refresh_pool.read_all(
        jobs_,
        read,
        workers=jobs,
        deadline=time.monotonic() + time_limit(),
        retry=lambda c: c.retry_after if c.status == "retry" else None,
        give_up=give_up,
    )
    for batch in outcomes:
        yield [(outcome.job.key, outcome.result) for outcome in batch]


def _write(
    session: Session, user_id: int, product_id: int, checked: pages.Checked, at: datetime
) -> tuple[ProductCheck, list[Alert]]:
    """Record one product's result (in the caller's transaction); the check and the alerts that fired."""
    row = session.execute(
        sa.select(
            products.c.name,
            products.c.price,
            products.c.currency,
            page_checks.c.checked_at,
            page_checks.c.availability,
        )
        .outerjoin(page_checks, page_checks.c.product_id == products.c.id)
        .where(products.c.id == product_id)
    ).first()
    if row is None:  # removed while its page was read
        gone = "the product was removed during the refresh"
        return ProductCheck(product_id, "", "failed", None, None, "", "", "unknown", None, gone), []
    old_price, old_currency = money.from_db(row.price), row.currency
    known_stock = row.availability or "unknown"  # the latest read's (page_checks), as every read records it
    base = dict(product_id=product_id, name=row.name, old_price=old_price, old_currency=old_currency)
    if checked.status == "read" and checked.info is not None and checked.info.price is not None:
        price = checked.info.price
        currency = checked.info.currency or old_currency  # a page's price without a currency: the one known
        stock = checked.info.availability
        session.execute(
            sa.update(products).where(products.c.id == product_id).values(price=price, currency=currency)
        )
        history.record(
            session, product_id, price=price, currency=currency, origin="page", availability=stock, at=at
        )
        history.record_check(
            session,
            product_id,
            at=at,
            availability=stock,
            etag=checked.etag,
            last_modified=checked.last_modified,
        )
        moved = (price, currency) != (old_price, old_currency) or (
            "unknown" not in (stock, known_stock) and stock != known_stock
        )
        check = ProductCheck(
            **base,
            status="changed" if moved else "unchanged",
            new_price=price,
            currency=currency,
            availability=stock,
            checked_at=at,
        )
        return check, _evaluate(session, user_id, product_id, price, currency, at)
    if checked.status == "unchanged":
        history.record_check(
            session,
            product_id,
            at=at,
            etag=checked.etag,
            last_modified=checked.last_modified,
        )
        check = ProductCheck(
            **base,
            status="unchanged",
            new_price=old_price,
            currency=old_currency,
            availability=known_stock,
            checked_at=at,
        )
        alerts = (
            [] if old_price is None else _evaluate(session, user_id, product_id, old_price, old_currency, at)
        )
        return check, alerts
    failure = checked.failure or "the page could not be read"
    history.record_check(session, product_id, at=at, failure=failure)
    check = ProductCheck(
        **base,
        status="failed",
        new_price=old_price,
        currency=old_currency,
        availability=known_stock,
        checked_at=row.checked_at,
        failure=failure,
    )
    return check, []


def _evaluate(
    session: Session, user_id: int, product_id: int, price: Decimal, currency: str, at: datetime
) -> list[Alert]:
    return watches.evaluate(
        session, user_id=user_id, product_id=product_id, price=price, currency=currency, at=at
    )
