"""SQL that depends on the database's dialect (SQLite or PostgreSQL).

Used by db.py, migrate.py and the services alike; it imports no other
ishop4u module but errors, so neither of those depends on the other through it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ishop4u_cli.errors import UsageError

if TYPE_CHECKING:
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import Insert as PostgresInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


def upsert_insert(session: Session, table: sa.Table) -> PostgresInsert | SqliteInsert:
    """The dialect's INSERT for TABLE, the one that knows ON CONFLICT (SQLite and PostgreSQL).

    SQLAlchemy's generic insert() has no on_conflict_do_nothing/do_update:
    those live on each dialect's own Insert, so the session's bind picks it.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - ishop4u runs on SQLite and PostgreSQL
        raise UsageError(f"ishop4u needs SQLite or PostgreSQL, not {dialect}")
    return insert(table)


def read_revision(conn: Connection) -> str | None:
    """The revision in alembic_version, or None when there is no such table (one query)."""
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        has = conn.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).first()
    else:
        has = conn.execute(text("SELECT to_regclass('alembic_version')")).scalar()
    if not has:
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def use_wal(conn: Connection) -> None:
    """Switch a SQLite database ishop4u has accepted to WAL mode (outside any transaction).

    The journal mode is written into the file, so it is set only after the
    database was inspected: never on a file that is about to be refused. A
    no-op when the file is already in WAL mode, and on PostgreSQL. A file
    SQLite cannot switch (read-only, or busy) keeps its mode and still works;
    the next opening tries again.
    """
    if conn.dialect.name != "sqlite":
        return
    import contextlib
    import sqlite3

    with contextlib.suppress(sqlite3.OperationalError):
        conn.connection.driver_connection.execute("PRAGMA journal_mode=WAL")
