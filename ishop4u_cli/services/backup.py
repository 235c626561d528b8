"""Consistent copies of a SQLite database, taken with SQLite's online backup API."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from ishop4u_cli.db import sqlite_path
from ishop4u_cli.errors import Conflict, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def backup_sqlite(engine: Engine, dest: str, *, overwrite: bool = False) -> Path:
    """Copy the database behind ENGINE to DEST page by page, consistent while in use."""
    source = sqlite_path(str(engine.url))
    if engine.dialect.name != "sqlite" or source is None:
        raise UsageError("db backup copies SQLite databases; for PostgreSQL use pg_dump")
    target = Path(dest).expanduser().absolute()
    if target.resolve() == source.resolve():
        raise UsageError(f"the backup cannot overwrite the database itself: {target}")
    if target.exists() and not overwrite:
        raise Conflict(f"{target} already exists; pass --force to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"no such directory: {target.parent}")
    # Write next to the target, then rename: a failed backup leaves no half file.
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
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
