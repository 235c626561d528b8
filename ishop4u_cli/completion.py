"""Shell completion of ids, stores and emails, read straight from the database.

The commands name these functions as their parameters' `autocompletion=`; Typer
calls them with the command line parsed so far (`ctx`, for --db) and the word
being completed, and prints what they return for bash, zsh or fish.

A completion runs at every TAB, so it must be quick and quiet. It reads the
database read-only and never migrates it, never prompts, never prints, and
returns nothing when it cannot answer: no database at that path, one not at
the newest revision, no signed-in user where the answer is that user's cart,
or no answer within about a second (a slow or unreachable server). What it
reads:

- product ids, with their names as descriptions (`product show/edit/remove`,
  `cart add`); the product ids in the signed-in user's cart (`cart
  update/remove`): that one needs a signed-in user, the catalogue does not;
- store names and api names (`--source`, `source show/edit/remove`; `checkout
  done` and `checkout --source` also take `other`);
- user emails, with names (`user login/remove`).

The one exception to the data-access rule (services, Core, tables.py): on
SQLite completion reads with the standard library's sqlite3 on a `mode=ro`
URI, so that a TAB costs about what `import typer` does, not SQLAlchemy's
import. On PostgreSQL it goes through SQLAlchemy, with a short connect_timeout
and a statement_timeout on a read-only transaction. The same few SQL
statements serve both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # at run time only what a TAB uses is imported, when it is used
    from collections.abc import Callable

BUDGET_SECONDS = 1.0  # the database's time to answer; then the shell gets nothing
SQLITE_BUSY_SECONDS = 0.5
POSTGRES_STATEMENT_TIMEOUT_MS = 1000
POSTGRES_CONNECT_TIMEOUT = 2  # libpq's and psycopg's least; BUDGET_SECONDS ends the wait sooner
OTHER = ("other", "Other shops: products of no known store")

Item = tuple  # (value, description)
Rows = Any  # rows(sql, **params) -> list of tuples, on the open database


# ---------------------------------------------------------------- what each TAB reads


def product_ids(ctx: Any, incomplete: str) -> list[Item]:
    """Every product's id, with its name."""
    if not _id_prefix(incomplete):
        return []
    return _answer(ctx, lambda rows: _products(rows, incomplete))


def cart_product_ids(ctx: Any, incomplete: str) -> list[Item]:
    """The ids of the products in the signed-in user's cart, with their names and quantities."""
    if not _id_prefix(incomplete):
        return []

    def read(rows: Rows, user_id: int | None) -> list[Item]:
        if user_id is None:
            return []
        found = rows(
            "SELECT p.id, p.name, c.quantity FROM cart_items c JOIN products p ON p.id = c.product_id"
            " WHERE c.user_id = :user_id AND CAST(p.id AS TEXT) LIKE :prefix ORDER BY p.id",
            user_id=user_id,
            prefix=incomplete + "%",
        )
        return [(str(pid), f"{name} (x{qty or 1})") for pid, name, qty in found]

    return _answer(ctx, read, signed_in=True)


def source_names(ctx: Any, incomplete: str) -> list[Item]:
    """Every source's name and api name."""
    return _answer(ctx, _sources)


def checkout_stores(ctx: Any, incomplete: str) -> list[Item]:
    """The sources, and `other` for the products of no known store (as checkout takes them)."""
    return _answer(ctx, lambda rows: [*_sources(rows), OTHER])


def emails(ctx: Any, incomplete: str) -> list[Item]:
    """Every account's email, with its name."""
    return _answer(ctx, lambda rows: rows("SELECT email, name FROM users ORDER BY email"))


def _id_prefix(incomplete: str) -> bool:
    return incomplete == "" or incomplete.isdigit()  # a URL (cart add) or a typo has no id to complete


def _products(rows: Rows, incomplete: str) -> list[Item]:
    found = rows(
        "SELECT id, name FROM products WHERE CAST(id AS TEXT) LIKE :prefix ORDER BY id",
        prefix=incomplete + "%",
    )
    return [(str(pid), name) for pid, name in found]


def _sources(rows: Rows) -> list[Item]:
    items: list[Item] = []
    for name, api_name, base_url in rows(
        "SELECT name, api_name, base_url FROM affiliate_sources ORDER BY id"
    ):
        items.append((name, base_url or (f"api name {api_name}" if api_name else "store")))
        if api_name and api_name != name:
            items.append((api_name, name))
    return items


# ---------------------------------------------------------------- reading, quietly and briefly


def _answer(ctx: Any, read: Callable[..., list], *, signed_in: bool = False) -> list[Item]:
    """What READ finds in the run's database, or nothing on any failure or after the budget.

    READ gets `rows`, and with SIGNED_IN the signed-in user's id (None when nobody is).
    """
    try:
        import threading

        from ishop4u_cli import settings
        from ishop4u_cli.db import SCHEMA_HEAD, sqlite_path, to_url

        url = to_url(settings.database_target(_db_option(ctx)))
        if sqlite_path(url) is not None:
            opener = _sqlite(url)
        elif url.startswith("postgresql"):
            opener = _postgres(url)
        else:
            return []
        key = _session_key(url) if signed_in else None
        found: list[list[Item]] = []

        def work() -> None:
            try:
                with opener() as rows:
                    if rows("SELECT version_num FROM alembic_version") != [(SCHEMA_HEAD,)]:
                        return  # not at the newest revision: completion never migrates
                    if signed_in:
                        found.append(read(rows, _signed_in_user(rows, key)))
                    else:
                        found.append(read(rows))
            except Exception:
                return  # missing, locked, unreachable, not ours: nothing to offer

        worker = threading.Thread(target=work, name="ishop4u-completion", daemon=True)
        worker.start()
        worker.join(BUDGET_SECONDS)
        return [(str(value), str(help or "")) for value, help in found[0]] if found else []
    except Exception:
        return []


def _db_option(ctx: Any) -> str | None:
    value = ctx.find_root().params.get("db") if ctx is not None else None
    return value if isinstance(value, str) and value else None


def _session_key(url: str) -> str:
    """The name session_files keeps this database's session under.

    For SQLite, computed here as session_files.database_key computes it (a test
    holds the two equal), since that one imports SQLAlchemy to parse the URL.
    """
    from ishop4u_cli.db import sqlite_path
    from ishop4u_cli.services import session_files

    path = sqlite_path(url)
    if path is not None:
        return f"sqlite:///{path.expanduser().resolve()}"
    return session_files.database_key(url)


def _signed_in_user(rows: Rows, key: str | None) -> int | None:
    """The id of the user signed in to this database on this machine, as auth checks it.

    Read-only: the old single session file (before sessions were per database)
    counts when this database knows its token, but is not taken over here; an
    expired session (auth's rule, $ISHOP4U_SESSION_DAYS) counts as nobody and
    is left for the next command to delete.
    """
    from datetime import timedelta

    from ishop4u_cli import settings
    from ishop4u_cli.services import session_files

    if key is None:
        return None
    claim = session_files.read(key)
    if claim is None and not session_files.exists(key):
        claim = session_files.read_legacy()
    if claim is None:
        return None
    found = rows(
        "SELECT user_id, COALESCE(last_used_at, created_at), CURRENT_TIMESTAMP FROM sessions"
        " WHERE token_hash = :token_hash",
        token_hash=session_files.token_hash(claim.token),
    )
    if len(found) != 1 or found[0][0] != claim.user_id:
        return None
    _, last_used, now = found[0]
    lifetime = timedelta(days=settings.session_days())
    if session_files.expired(session_files.utc(last_used), session_files.utc(now), lifetime):
        return None
    return claim.user_id


class _Opened:
    def __init__(self, close: Callable[[], None], rows: Rows) -> None:
        self._close, self.rows = close, rows

    def __enter__(self) -> Rows:
        return self.rows

    def __exit__(self, *exc: object) -> None:
        self._close()


def _sqlite(url: str) -> Callable[[], _Opened]:
    from ishop4u_cli.db import sqlite_path

    path = sqlite_path(url)
    assert path is not None

    def open_() -> _Opened:
        import sqlite3

        # mode=ro: never creates the file, never writes to it.
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=SQLITE_BUSY_SECONDS)
        return _Opened(conn.close, lambda sql, **params: conn.execute(sql, params).fetchall())

    return open_


def _postgres(url: str) -> Callable[[], _Opened]:
    import warnings

    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    given = sa.engine.make_url(url).query.get("options", "")
    options = " ".join(
        [
            *([given] if isinstance(given, str) and given else []),
            f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}",
            "-c default_transaction_read_only=on",
        ]
    )
    connect_args: dict[str, Any] = {"options": options, "connect_timeout": POSTGRES_CONNECT_TIMEOUT}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)

    def open_() -> _Opened:
        conn = engine.connect()

        def close() -> None:
            conn.close()
            engine.dispose()

        return _Opened(close, lambda sql, **params: [tuple(r) for r in conn.execute(sa.text(sql), params)])

    return open_
