"""The two imports, one call each: open the file (or stdin), draw progress, run the one transaction.

The command hands over the database and, for progress, a function render
made: given the input's size in bytes (None when unknown), it opens a context
that yields the (bytes read, rows read) callback, or None when there is
nothing to draw.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from ishop4u_cli.services.transfer.bulk import run_import
from ishop4u_cli.services.transfer.cart import CART_SUFFIXES, CartImport, cart_rows, import_cart
from ishop4u_cli.services.transfer.formats import choose_format
from ishop4u_cli.services.transfer.inputs import Progress, open_input
from ishop4u_cli.services.transfer.products import (
    PRODUCT_SUFFIXES,
    ProductImport,
    import_products,
    product_rows,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

T = TypeVar("T")

ProgressBar = Callable[[int | None], AbstractContextManager[Progress | None]]


class Database(Protocol):
    """The run's database (context.AppState): an import runs its own retried transaction on it."""

    def engine(self) -> Engine: ...


@dataclass(frozen=True)
class Imported(Generic[T]):
    name: str  # the file as given, or "stdin"
    result: T


def _bar(progress: ProgressBar | None, size: int | None) -> AbstractContextManager[Progress | None]:
    return nullcontext(None) if progress is None else progress(size)


def import_product_file(
    db: Database, path: str, *, fmt: str | None = None, progress: ProgressBar | None = None
) -> Imported[ProductImport]:
    """`product import PATH`: every product of a CSV or JSON Lines file, all or nothing.

    The products it stores are the signed-in user's (NotSignedIn, exit 4, when nobody is).
    """
    from ishop4u_cli.services import permissions

    chosen = choose_format(path, fmt, allowed=("csv", "jsonl"), by_suffix=PRODUCT_SUFFIXES)
    with open_input(path) as source, _bar(progress, source.size) as tick:

        def work(session: Session) -> ProductImport:
            user_id = permissions.signed_in(session).id
            rows = product_rows(source, chosen)
            return import_products(session, rows, created_by=user_id, source=source, progress=tick)

        # The rows are read again from the start if the transaction is retried.
        result = run_import(db.engine(), source, work)
    return Imported(name=source.name, result=result)


def import_cart_file(
    db: Database, path: str, *, fmt: str | None = None, progress: ProgressBar | None = None
) -> Imported[CartImport]:
    """`cart import PATH`: the signed-in user's items from a `cart export` file, all or nothing."""
    from ishop4u_cli.services import auth

    chosen = choose_format(path, fmt, allowed=("json", "csv"), by_suffix=CART_SUFFIXES)
    with open_input(path) as source, _bar(progress, source.size) as tick:

        def work(session: Session) -> CartImport:
            user_id = auth.current_user(session).id
            rows = cart_rows(source, chosen)
            return import_cart(session, user_id=user_id, rows=rows, source=source, progress=tick)

        result = run_import(db.engine(), source, work)
    return Imported(name=source.name, result=result)
