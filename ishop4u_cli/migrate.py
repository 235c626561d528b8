"""Alembic-driven upgrades, and adoption of databases made from the seed schema by other tools.

Imported only when a database is not at the newest revision, or by `ishop4u db`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ishop4u_cli import secure_sql
from ishop4u_cli.errors import DatabaseError
from ishop4u_cli.sql import read_revision, use_wal

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

FIRST_REVISION = "0001"

# The iShop4U seed schema's tables and columns: what a database made by
# another tool must have for ishop4u to adopt it.
SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("id", "name", "email", "password_hash", "created_at"),
    "affiliate_sources": ("id", "name", "api_name", "base_url"),
    "products": ("id", "name", "image_url", "price", "affiliate_link", "affiliate_source_id"),
    "cart_items": ("id", "user_id", "product_id", "quantity", "notes", "added_at"),
}


@dataclass(frozen=True)
class UpgradeResult:
    from_revision: str | None
    to_revision: str
    adopted_from: str | None = None  # set when the database was adopted
    adopted: bool = False
    resecured: bool = False  # a database secured by `db secure` had it applied again (new tables too)


def migrations_dir() -> Path:
    """The migrations: inside the package when installed from a wheel, else the repository's."""
    here = Path(__file__).resolve().parent
    packaged = here / "migrations"
    if packaged.is_dir():
        return packaged
    return here.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def seed_differences(conn: Connection) -> list[str]:
    """What keeps this database from being the seed schema; empty when it is."""
    from sqlalchemy import inspect

    inspector = inspect(conn)
    tables = set(inspector.get_table_names())
    problems: list[str] = []
    missing = [t for t in SEED_COLUMNS if t not in tables]
    if missing:
        problems.append("missing tables " + ", ".join(missing))
    for table, expected in SEED_COLUMNS.items():
        if table not in tables:
            continue
        have = [c["name"] for c in inspector.get_columns(table)]
        lacking = [c for c in expected if c not in have]
        extra = [c for c in have if c not in expected]
        if lacking:
            problems.append(f"{table} lacks {', '.join(lacking)}")
        if extra:
            problems.append(f"{table} has columns the seed does not: {', '.join(extra)}")
    return problems


def _user_tables(conn: Connection) -> set[str]:
    from sqlalchemy import inspect

    return {t for t in inspect(conn).get_table_names() if not t.startswith("sqlite_")}


def _sync_id_sequences(conn: Connection) -> None:
    """On PostgreSQL, move each seed table's id sequence past its rows.

    Rows loaded with explicit ids (a restored dump, another tool) leave SERIAL
    sequences behind, and the next insert would collide with an existing id.
    """
    if conn.dialect.name != "postgresql":
        return
    for table in SEED_COLUMNS:
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM {table} "
            f"HAVING pg_get_serial_sequence('{table}', 'id') IS NOT NULL"
        )


def upgrade(engine: Engine) -> UpgradeResult:
    """Bring the database to the newest revision in one transaction, adopting it if needed.

    On failure the transaction rolls back: the database is left as it was. A
    database that is refused is only read (inside BEGIN IMMEDIATE, which writes
    nothing), so its file does not change by a byte.
    """
    from alembic import command
    from sqlalchemy.exc import OperationalError

    is_sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if is_sqlite:
            # SQLite's recipe for schema changes: foreign keys off (outside any
            # transaction) so a table copy in batch mode cannot cascade deletes.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                start = read_revision(conn)
                adopted_from: str | None = None
                adopted = False
                if start is None or start not in known_revisions():
                    if start is None and not _user_tables(conn):
                        pass  # an empty database: build it from the first revision
                    else:
                        problems = seed_differences(conn)
                        if problems:
                            what = "revision " + start if start else "no alembic_version"
                            raise DatabaseError(
                                f"cannot adopt this database ({what}): it is not the iShop4U "
                                f"seed schema: {'; '.join(problems)}. Nothing was changed."
                            )
                        command.stamp(alembic_config(conn), FIRST_REVISION, purge=True)
                        _sync_id_sequences(conn)
                        adopted_from, adopted = start, True
                command.upgrade(alembic_config(conn), "head")
                if is_sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise DatabaseError(
                            f"the upgrade would break a foreign key in table {broken[0]}; nothing was changed"
                        )
                end = read_revision(conn)
                # `db secure` is kept current: grants, policies and functions for what changed.
                # (Only its owner may: a member's `db upgrade` of a database at the newest revision is a no-op.)
                resecured = secure_sql.is_secured(conn) and secure_sql.may_secure(conn)[2]
                if resecured:
                    secure_sql.apply(conn)
            use_wal(conn)  # accepted and upgraded: now the file may change mode
        except OperationalError as exc:
            if "readonly database" not in str(exc):
                raise
            raise DatabaseError(
                "the database is read-only, and it needs an upgrade to the newest revision before "
                "ishop4u can use it; nothing was changed"
            ) from exc
        finally:
            if is_sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
    return UpgradeResult(
        from_revision=None if adopted else start,
        to_revision=end or "",
        adopted_from=adopted_from,
        adopted=adopted,
        resecured=resecured,
    )
