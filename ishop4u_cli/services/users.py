"""Accounts: names and emails checked, passwords hashed, lookups by email case-insensitive.

Admins: the first account created in a database is its admin (`is_admin`);
an admin may make others (`user add --admin`, services/permissions.py). When
the last admin's account goes while other accounts remain, the oldest of them
(the lowest id, as revision 0007 chose) becomes the admin, so a database never
loses its owner.

Queries that read accounts name their columns (ACCOUNT_COLUMNS): the password
hash is read only where a password is checked (`_check`) and written only
where one is set (`_set_password_hash`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli.errors import AuthFailed, Conflict, IshopError, NotFound, UsageError
from ishop4u_cli.services import passwords, secure
from ishop4u_cli.tables import cart_items, users
from ishop4u_cli.text import has_unprintable

MAX_NAME_LENGTH = 100  # the seed's users.name VARCHAR(100)
MAX_EMAIL_LENGTH = 150  # the seed's users.email VARCHAR(150)

# One @, something before it, a domain of dot-separated labels after it, no spaces.
# Deliberately loose beyond that: the only real check of an address is mail to it.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EMAIL_FORBIDDEN = set('<>()[],;:"\\')


def normalize_name(name: str) -> str:
    """NAME without surrounding whitespace, checked: 1 to 100 characters, one line."""
    cleaned = name.strip()
    if not cleaned:
        raise UsageError("the name is empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise UsageError(f"the name is too long: {len(cleaned)} characters (at most {MAX_NAME_LENGTH})")
    if has_unprintable(cleaned):
        raise UsageError("the name cannot contain control characters (newlines, tabs, ...)")
    return cleaned


def normalize_email(email: str) -> str:
    """EMAIL lowercased and checked: how it is stored and compared."""
    cleaned = email.strip().lower()
    if not cleaned:
        raise UsageError("the email address is empty")
    if len(cleaned) > MAX_EMAIL_LENGTH:
        raise UsageError(
            f"the email address is too long: {len(cleaned)} characters (at most {MAX_EMAIL_LENGTH})"
        )
    if (
        has_unprintable(cleaned)
        or not _EMAIL.fullmatch(cleaned)
        or any(ch in _EMAIL_FORBIDDEN for ch in cleaned)
    ):
        raise UsageError(f"not an email address: {cleaned!r} (expected something like ann@example.com)")
    return cleaned


@dataclass(frozen=True)
class Account:
    """A user as services hand it out: never with the password hash."""

    id: int
    name: str
    email: str
    created_at: datetime | None
    is_admin: bool = False  # may change sources, any product's link, and make admins


# What an Account is read from (auth.py reads it too, joined to the sessions table).
ACCOUNT_COLUMNS = (users.c.id, users.c.name, users.c.email, users.c.created_at, users.c.is_admin)


def account_from_row(row: sa.Row) -> Account:
    return Account(
        id=row.id, name=row.name, email=row.email, created_at=row.created_at, is_admin=bool(row.is_admin)
    )


def _row_by_email(session: Session, email: str, *, with_hash: bool = True) -> sa.Row | None:
    """The account's columns and (WITH_HASH) its password hash for EMAIL in any case, or None.

    Emails are stored lowercased; an adopted seed database may hold mixed case,
    so the comparison lowercases both sides. Without the hash, nothing asks the
    database where a hash may be read from (secure.password_hash_column).
    """
    wanted = email.strip().lower()
    hashed = [_hash_of(session).label("password_hash")] if with_hash else []
    stmt = (
        sa.select(*ACCOUNT_COLUMNS, *hashed)
        .where(sa.func.lower(users.c.email) == wanted)
        .order_by(users.c.id)
        .limit(1)
    )
    return session.exec(stmt).first()


def ensure_email_free(session: Session, email: str) -> None:
    """Raise Conflict when an account already uses EMAIL (in any case)."""
    normalized = normalize_email(email)
    if _row_by_email(session, normalized, with_hash=False) is not None:
        raise Conflict(f"a user with the email {normalized} already exists")


def create_user(session: Session, *, name: str, email: str, password: str) -> Account:
    """A new user with an Argon2id password hash; Conflict for an email already in use.

    The database's first account is its admin (`user add --admin` makes another through
    services/permissions.py, which checks who asks, then make_admin).
    """
    clean_name = normalize_name(name)
    clean_email = normalize_email(email)
    passwords.check_new_password(password)
    ensure_email_free(session, clean_email)
    first = ~sa.exists(sa.select(users.c.id).correlate(None))
    stmt = (
        sa.insert(users)
        .values(
            name=clean_name,
            email=clean_email,
            password_hash=passwords.hash_password(password),
            is_admin=first,
            db_role=secure.session_role(session),  # PostgreSQL: the login role the account belongs to
        )
        .returning(*ACCOUNT_COLUMNS)  # created_at comes from the database
    )
    return account_from_row(session.exec(stmt).one())


def list_users(session: Session) -> list[Account]:
    return [account_from_row(row) for row in session.exec(sa.select(*ACCOUNT_COLUMNS).order_by(users.c.id))]


def admins(session: Session) -> list[Account]:
    """The database's admins, oldest first."""
    stmt = sa.select(*ACCOUNT_COLUMNS).where(users.c.is_admin.is_(True)).order_by(users.c.id)
    return [account_from_row(row) for row in session.exec(stmt)]


def make_admin(session: Session, user_id: int) -> Account:
    """Make USER_ID an admin; returns the account as it is now."""
    stmt = sa.update(users).where(users.c.id == user_id).values(is_admin=True).returning(*ACCOUNT_COLUMNS)
    row = session.exec(stmt).first()
    if row is None:
        raise NotFound(f"no user with the id {user_id}; see: ishop4u user list")
    return account_from_row(row)


def _successor(session: Session, leaving: int) -> Account | None:
    """Who becomes admin when LEAVING goes: the oldest other account, if no other admin remains."""
    others = sa.select(*ACCOUNT_COLUMNS).where(users.c.id != leaving).order_by(users.c.id)
    if session.exec(others.where(users.c.is_admin.is_(True)).limit(1)).first() is not None:
        return None
    row = session.exec(others.limit(1)).first()
    return None if row is None else account_from_row(row)


def cart_item_count(session: Session, user_id: int) -> int:
    stmt = sa.select(sa.func.count()).select_from(cart_items).where(cart_items.c.user_id == user_id)
    return int(session.exec(stmt).scalar_one())


def _hash_of(session: Session) -> sa.ColumnElement:
    """Where a password hash is read from: the column, or on a secured PostgreSQL database (`db secure`)
    the function that gives a member the hashes of their own accounts only (NULL for anyone else's)."""
    return secure.password_hash_column(session)


def _stored_hash(session: Session, user_id: int) -> sa.Row | None:
    """USER_ID's password hash (NULL when not this role's account) and is_admin, or None for no such row."""
    stmt = sa.select(_hash_of(session).label("password_hash"), users.c.is_admin).where(users.c.id == user_id)
    return session.exec(stmt).first()


def _set_password_hash(session: Session, user_id: int, password_hash: str) -> None:
    session.exec(sa.update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def _check(session: Session, *, email: str, password: str) -> tuple[Account, str]:
    """EMAIL's account and its (maybe renewed) password hash if PASSWORD is theirs; AuthFailed otherwise."""
    row = _row_by_email(session, email)
    if row is None or row.password_hash is None:  # none, or another PostgreSQL role's (db secure)
        passwords.spend_time_like_a_check(password)
        raise AuthFailed("wrong email or password")
    check = passwords.verify_password(row.password_hash, password)
    if not check.ok:
        raise AuthFailed("wrong email or password")
    if check.new_hash is None:
        return account_from_row(row), row.password_hash
    _set_password_hash(session, row.id, check.new_hash)
    return account_from_row(row), check.new_hash


def authenticate(session: Session, *, email: str, password: str) -> Account:
    """The user with EMAIL if PASSWORD is theirs; AuthFailed otherwise (exit 5).

    An unknown email and a wrong password give the same answer in about the
    same time. A hash with old parameters or in Werkzeug's format is replaced
    by a fresh Argon2id hash on success.
    """
    return _check(session, email=email, password=password)[0]


def change_password(session: Session, user: Account, *, old_password: str, new_password: str) -> None:
    """Set USER's password to NEW_PASSWORD after checking OLD_PASSWORD (AuthFailed if wrong)."""
    passwords.check_new_password(new_password)
    found = _stored_hash(session, user.id)
    stored = None if found is None else found.password_hash
    if stored is None or not passwords.verify_password(stored, old_password).ok:
        raise AuthFailed("wrong password")
    _set_password_hash(session, user.id, passwords.hash_password(new_password))


@dataclass(frozen=True)
class RemovalPlan:
    """What `user remove` is about to delete, for its confirmation."""

    user_id: int
    name: str
    email: str
    cart_items: int
    password_hash: str  # the hash that was checked: the removal goes ahead only if it is unchanged
    successor: Account | None = None  # the last admin is leaving: the oldest other account becomes admin


class AccountChanged(IshopError):
    """The account changed between the check and the removal (exit 1)."""


def plan_removal(session: Session, *, email: str, password: str) -> RemovalPlan:
    """Check EMAIL's password and count what goes with the account."""
    user, password_hash = _check(session, email=email, password=password)
    return RemovalPlan(
        user_id=user.id,
        name=user.name,
        email=user.email,
        cart_items=cart_item_count(session, user.id),
        password_hash=password_hash,
        successor=_successor(session, user.id) if user.is_admin else None,
    )


def remove_user(session: Session, plan: RemovalPlan) -> None:
    """Delete the planned user; the database deletes their cart and sessions (ON DELETE CASCADE).

    When they were the last admin, the planned successor (the oldest remaining
    account) becomes admin; if that changed meanwhile, nothing is removed.
    """
    stored = _stored_hash(session, plan.user_id)
    if stored is None:
        raise NotFound(f"no user with the email {plan.email}; see: ishop4u user list")
    if stored.password_hash != plan.password_hash:
        raise AccountChanged(f"the account {plan.email} changed meanwhile; nothing was removed, try again")
    successor = _successor(session, plan.user_id) if stored.is_admin else None
    if (successor.id if successor else None) != (plan.successor.id if plan.successor else None):
        raise AccountChanged("the database's admins changed meanwhile; nothing was removed, try again")
    session.exec(sa.delete(users).where(users.c.id == plan.user_id))
    if successor is not None:
        make_admin(session, successor.id)
