"""One refresh at a time on a database: two runs would read every page twice and race on each write.

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), held on a
  connection of its own for the whole run. It covers every machine that uses the
  database, and the server lets go of it when the connection ends (a killed run
  never leaves it behind).
- SQLite: an exclusive, non-blocking `flock` on a file beside the database
  (`<database>.refresh-lock`). It covers every process on the machine (a SQLite
  file is not shared across machines), and the kernel lets go of it when the
  process ends, however it ends. The file itself stays; it holds nothing.

A lock row in a table would outlive a killed run and need a timeout to be
taken over; these two are released by whatever ends the run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ishop4u_cli.errors import DatabaseError, RefreshRunning

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# One key in PostgreSQL's advisory lock space for ishop4u's refresh (a signed 64-bit integer).
ADVISORY_KEY = int.from_bytes(hashlib.sha256(b"ishop4u refresh").digest()[:8], "big", signed=True)
RUNNING = "a refresh of this database is already running; try again when it has finished"


@contextlib.contextmanager
def held(engine: Engine, url: str) -> Iterator[None]:
    """Hold the refresh lock of the database at URL for the block; RefreshRunning (exit 9) if taken."""
    from ishop4u_cli import db

    if engine.dialect.name == "postgresql":
        with _advisory(engine):
            yield
        return
    path = db.sqlite_path(url) if engine.dialect.name == "sqlite" else None
    if path is None:  # an in-memory database is one process's own
        yield
        return
    with _file_lock(path.with_name(path.name + ".refresh-lock")):
        yield


@contextlib.contextmanager
def _advisory(engine: Engine) -> Iterator[None]:
    import sqlalchemy as sa

    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
        if not got:
            raise RefreshRunning(RUNNING)
        try:
            yield
        finally:
            try:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
            except Exception:
                conn.invalidate()  # the connection is gone, and the lock with it
    finally:
        conn.close()


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseError(f"cannot make the refresh lock file {path}: {exc.strerror}") from None
    try:
        _lock(fd)
        yield
    finally:
        os.close(fd)  # closing the file lets go of the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: a byte-range lock does the same
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            raise RefreshRunning(RUNNING) from None
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise RefreshRunning(RUNNING) from None
