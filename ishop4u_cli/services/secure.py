"""`ishop4u db secure`: real isolation between the people sharing a PostgreSQL database.

What it sets up is in secure_sql.py (the group role, its grants, row-level
security, the SECURITY DEFINER functions); this module checks who runs it and
where, and runs it in one transaction. On SQLite there is nothing to secure
inside the file: its permissions (0600, in a 0700 directory) are the protection.

It also tells the password code where a hash is read from: the column, where
this connection may read it, else `ishop4u_password_hash(id)`, which hands a
member the hash of their own accounts only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ishop4u_cli import secure_sql
from ishop4u_cli.errors import IshopError, UsageError
from ishop4u_cli.tables import users

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

GROUP = secure_sql.GROUP


class NotOwner(IshopError):
    """`db secure` run by a role that does not own the tables (exit 1)."""


@dataclass(frozen=True)
class Secured:
    group: str
    group_created: bool  # the group role did not exist before
    was_secured: bool  # the database had been secured before: this run renewed it
    tables: list[str]  # the tables the group may use
    row_security: list[str]  # those whose rows are checked one by one (row-level security)
    members: list[str]  # the roles in the group
    accounts_without_role: int  # accounts no member can sign in to (db_role NULL)


def secure(engine: Engine) -> Secured:
    """Secure the database ENGINE is on (PostgreSQL, run by the owner of its tables), idempotently."""
    if engine.dialect.name != "postgresql":
        raise UsageError(
            "db secure is for PostgreSQL; a SQLite database is protected by its file's permissions "
            "(mode 0600 in a 0700 directory): share the file only with people you trust with all of it"
        )
    with engine.begin() as conn:
        who, owner, allowed = secure_sql.may_secure(conn)
        if not allowed:
            raise NotOwner(
                f"only the owner of the database's tables ({owner}) can run db secure; you are {who}: "
                f"connect with {owner}'s URL (ishop4u --db postgresql+psycopg://{owner}@HOST/DB db secure)"
            )
        was = secure_sql.is_secured(conn)
        created, tables = secure_sql.apply(conn)
        orphans = conn.execute(
            sa.select(sa.func.count()).select_from(users).where(users.c.db_role.is_(None))
        ).scalar_one()
        return Secured(
            group=GROUP,
            group_created=created,
            was_secured=was,
            tables=tables,
            row_security=[t for t in tables if secure_sql.TABLES[t][1]],  # those with policies
            members=secure_sql.members(conn),
            accounts_without_role=int(orphans),
        )


def password_hash_column(session: Session) -> sa.ColumnElement:
    """users.password_hash, or on a secured database for a member: the function that reads it for them."""
    if secure_sql.reads_password_hashes(session.connection()):
        return users.c.password_hash
    return sa.func.ishop4u_password_hash(users.c.id)


def session_role(session: Session) -> sa.ColumnElement | None:
    """What `users.db_role` records for a new account: the PostgreSQL login role (`session_user`)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return sa.literal_column("session_user", sa.String)
