"""Engines, connection setup, sessions and the fast schema-version check.

Opening a database costs one small query when it is already at the newest
revision; only otherwise is Alembic imported (see migrate.py).
"""

from __future__ import annotations

import os
import random
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ishop4u_cli import url_secrets
from ishop4u_cli.errors import DatabaseError

# db.read_revision stays importable from here; it lives in sql.py so that
# migrate.py can use it without importing this module (which imports migrate).
from ishop4u_cli.sql import read_revision, use_wal

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

# The newest migration in migrations/versions/. tests/test_schema.py checks it
# against Alembic's own idea of the head, so the fast path cannot go stale.
SCHEMA_HEAD = "0007"

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


def to_url(target: str) -> str:
    """A SQLAlchemy URL for a --db value: a URL as given, or a file path."""
    if "://" in target:
        scheme, rest = target.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            # psycopg 3 is the driver we ship; SQLAlchemy's bare scheme means psycopg2.
            return f"postgresql+psycopg://{rest}"
        return target
    path = Path(target).expanduser()
    return f"sqlite:///{path.absolute()}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a sqlite:/// URL, or None for other databases."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def display(url: str) -> str:
    """Where the database is, for people: a file path, or the URL with any password (in the
    user information or a `?password=` parameter) shown as ***."""
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return url_secrets.mask(url)


def _prepare_sqlite_file(path: Path) -> None:
    """Create the directory (0700) and the file (0600) before SQLite does.

    SQLite gives its -wal and -shm side files the database file's mode.
    """
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(mode=0o700, parents=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create {parent}: {exc.strerror}") from exc
    if path.is_symlink() and not path.exists():
        # SQLite would follow it and create a database wherever it points (a planted link).
        raise DatabaseError(
            f"{path} is a symbolic link to {os.readlink(path)!r}, which does not exist: not followed;"
            " remove the link or point it at the database"
        )
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600)
            os.close(fd)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabaseError(f"cannot create {path}: {exc.strerror}") from exc


def _read_only_url(path: Path | None) -> str | None:
    """A URL that opens PATH read-only, when this process cannot write to the file; else None.

    Opened read-write, SQLite would leave -wal and -shm files beside a file it
    cannot change. Read-only and `immutable` (no locks, no side files), it
    reads the file as it is; only when a -wal file is already there (writes
    another process has not yet copied into the file) is the file read
    through it, without `immutable`. Writes fail with SQLite's "attempt to
    write a readonly database".
    """
    if path is None or not path.exists() or os.access(path, os.W_OK):
        return None
    from urllib.parse import quote

    immutable = "" if Path(f"{path}-wal").exists() else "&immutable=1"
    return f"sqlite:///file:{quote(str(path.absolute()))}?mode=ro{immutable}&uri=true"


def make_engine(url: str) -> Engine:
    """An engine whose connections are set up for ishop4u's rules."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    path = sqlite_path(url)
    try:
        if url.startswith("sqlite"):
            if path is not None:
                _prepare_sqlite_file(path)
            engine = create_engine(
                _read_only_url(path) or url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            )
            _setup_sqlite(engine, event)
        elif url.startswith("postgresql"):
            from sqlalchemy.engine import make_url

            # Timestamps are UTC; keep any libpq options the URL carries (search_path, ...).
            query = make_url(url).query
            connect_args: dict[str, object] = {
                "options": f"{query.get('options', '')} -c timezone=UTC".strip()
            }
            # A server that drops packets must not hang a command for minutes.
            if "connect_timeout" not in query:
                connect_args["connect_timeout"] = 10
            engine = create_engine(url, connect_args=connect_args)
        else:
            engine = create_engine(url)
    except (ImportError, NoSuchModuleError) as exc:
        if url.startswith("postgresql"):
            raise DatabaseError(
                "PostgreSQL needs its driver: pip install 'ishop4u[postgres]' "
                "(installed with pipx: pipx inject ishop4u 'psycopg[binary]')"
            ) from exc
        raise DatabaseError(f"no database driver for {display(url)}: {exc}") from exc
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {display(url)}{url_secrets.at_sign_hint(url)}") from exc
    # SQLite has no DECIMAL type: SQLAlchemy stores prices as REAL (exact for
    # 10 digits) and warns. Prices are quantized to cents on the way back.
    warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively")
    return engine


def _setup_sqlite(engine: Engine, event) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # We emit BEGIN ourselves (below); pysqlite's lazy BEGIN would make a
        # read-then-write transaction fail at once with "database is locked".
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")  # off by default on every connection
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Per connection, so it changes nothing in the file. WAL, which is written into the
        # file, is switched on only once the database is known to be ours (sql.use_wal).
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Take the write lock up front: concurrent writers queue on busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_database(target: str, *, upgrade: bool = True) -> Engine:
    """Open the database at TARGET (path or URL), upgrading it to the newest revision.

    The database is looked at before anything is changed in it: a file at the
    newest revision is switched to WAL here, an older or empty one by
    migrate.upgrade once it has been accepted and upgraded. A file ishop4u
    refuses (another application's, a corrupt one) is left as it was, byte for
    byte, with no -wal or -shm file beside it; a file it cannot write is
    opened read-only (_read_only_url), so reading it changes nothing either.
    """
    from sqlalchemy.exc import DatabaseError as SADatabaseError
    from sqlalchemy.exc import OperationalError

    url = to_url(target)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            revision = read_revision(conn)
            if revision == SCHEMA_HEAD:
                conn.rollback()  # journal_mode is set outside any transaction
                use_wal(conn)
    except (OperationalError, SADatabaseError) as exc:
        engine.dispose()
        detail = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        hint = url_secrets.at_sign_hint(url)
        if hint:  # the driver's message names a "host" made of the password's end: not shown
            raise DatabaseError(f"cannot open the database at {display(url)}{hint}") from exc
        raise DatabaseError(f"cannot open the database at {display(url)}: {detail}") from exc
    if upgrade and revision != SCHEMA_HEAD:
        from ishop4u_cli import migrate

        migrate.upgrade(engine)
    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises.

    For reads, and for the user commands' writes, which run once: they go with
    work outside the database that a retry would repeat (sign_in writes the
    session file, logout deletes it; Argon2 hashing is slow on purpose), and
    they touch a few rows found by a unique key (an email, a token hash), so a
    conflict a retry could cure is unlikely; a taken email is a Conflict that
    no retry cures.
    """
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            _after_rollback(session, exc)
            raise


def _after_rollback(session: Session, exc: BaseException) -> None:
    """Run the work an error asks for beyond the transaction it ended, in a transaction of its own.

    An expired session (auth.SessionExpired) fails the command, and its row must
    still be deleted. If that work fails too, the first error is the one reported.
    """
    work = getattr(exc, "after_rollback", None)
    if not callable(work):
        return
    try:
        work(session)
        session.commit()
    except Exception:
        session.rollback()


def _is_conflict(exc: BaseException) -> bool:
    """True for errors that a retry of the whole transaction can cure."""
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("40001", "40P01"):  # serialization failure, deadlock
        return True
    return "database is locked" in str(orig or exc)


def run_transaction(engine: Engine, work: Callable[[Session], T], *, attempts: int = 8) -> T:
    """Run WORK in one transaction, retrying a bounded number of times on conflicts.

    For the writes of products, sources and carts (AppState.transaction), whose
    multi-row upserts can meet a deadlock or serialization failure on
    PostgreSQL. WORK may run more than once: it does database work only (no
    files, no prompts, no network) and reads its input again (transfer rewinds
    its file).
    """
    from sqlalchemy.exc import DBAPIError

    for attempt in range(1, attempts + 1):
        try:
            with session_scope(engine) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not _is_conflict(exc):
                raise
            time.sleep(min(0.5, 0.01 * 2**attempt) * random.random())
    raise AssertionError("unreachable")
