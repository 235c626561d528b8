"""Consistent copies of a SQLite database, taken with SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ishop4u_cli.db import sqlite_path
from ishop4u_cli.errors import Conflict, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def backup_sqlite(engine: Engine, dest: str, *, overwrite: bool = False) -> Path:
    """Copy the database behind ENGINE to DEST page by page, consistent while in use.

    The copy is written to a new file made exclusively (mkstemp: a random name, O_EXCL, mode
    0600) in DEST's directory, then renamed over DEST: no link planted beside DEST is ever
    followed or truncated, and a link at DEST itself is replaced, not written through.
    """
    source = sqlite_path(str(engine.url))
    if engine.dialect.name != "sqlite" or source is None:
        raise UsageError("db backup copies SQLite databases; for PostgreSQL use pg_dump")
    target = Path(dest).expanduser().absolute()
    if target.resolve() == source.resolve():
        raise UsageError(f"the backup cannot overwrite the database itself: {target}")
    if os.path.lexists(target) and not overwrite:
        raise Conflict(f"{target} already exists; pass --force to overwrite it")
    if target.is_dir():
        raise UsageError(f"{target} is a directory; name the backup file inside it")
    if not target.parent.is_dir():
        raise UsageError(f"no such directory: {target.parent}")
    # Write next to the target, then rename: a failed backup leaves no half file.
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    except OSError as exc:
        raise UsageError(f"cannot write in {target.parent}: {exc.strerror}") from None
    os.close(fd)
    partial = Path(name)
    try:
        with engine.connect() as conn:
            src = conn.connection.driver_connection
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)
                # A standalone file: no WAL side files beside the copy.
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target
