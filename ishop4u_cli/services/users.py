"""Accounts: names and emails checked, passwords hashed, lookups by email case-insensitive."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from ishop4u_cli.errors import AuthFailed, Conflict, IshopError, NotFound, UsageError
from ishop4u_cli.models import CartItem, User
from ishop4u_cli.services import passwords

MAX_NAME_LENGTH = 100  # the seed's users.name VARCHAR(100)
MAX_EMAIL_LENGTH = 150  # the seed's users.email VARCHAR(150)

# One @, something before it, a domain of dot-separated labels after it, no spaces.
# Deliberately loose beyond that: the only real check of an address is mail to it.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_EMAIL_FORBIDDEN = set('<>()[],;:"\\')


def _has_control_chars(text: str) -> bool:
    return any(unicodedata.category(ch).startswith("C") for ch in text)


def normalize_name(name: str) -> str:
    """NAME without surrounding whitespace, checked: 1 to 100 characters, one line."""
    cleaned = name.strip()
    if not cleaned:
        raise UsageError("the name is empty")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise UsageError(f"the name is too long: {len(cleaned)} characters (at most {MAX_NAME_LENGTH})")
    if _has_control_chars(cleaned):
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
        _has_control_chars(cleaned)
        or not _EMAIL.fullmatch(cleaned)
        or any(ch in _EMAIL_FORBIDDEN for ch in cleaned)
    ):
        raise UsageError(f"not an email address: {cleaned!r} (expected something like ann@example.com)")
    return cleaned


def find_by_email(session: Session, email: str) -> User | None:
    """The user with EMAIL in any case, or None.

    Emails are stored lowercased; an adopted seed database may hold mixed case,
    so the comparison lowercases both sides.
    """
    wanted = email.strip().lower()
    stmt = select(User).where(func.lower(User.email) == wanted).order_by(User.id).limit(1)
    return session.exec(stmt).first()


def get_by_email(session: Session, email: str) -> User:
    user = find_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with the email {email.strip().lower()}; see: ishop4u user list")
    return user


def ensure_email_free(session: Session, email: str) -> None:
    """Raise Conflict when an account already uses EMAIL (in any case)."""
    normalized = normalize_email(email)
    if find_by_email(session, normalized) is not None:
        raise Conflict(f"a user with the email {normalized} already exists")


def create_user(session: Session, *, name: str, email: str, password: str) -> User:
    """A new user with an Argon2id password hash; Conflict for an email already in use."""
    clean_name = normalize_name(name)
    clean_email = normalize_email(email)
    passwords.check_new_password(password)
    ensure_email_free(session, clean_email)
    user = User(name=clean_name, email=clean_email, password_hash=passwords.hash_password(password))
    session.add(user)
    session.flush()
    session.refresh(user)  # created_at comes from the database
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.id)).all())


def cart_item_count(session: Session, user_id: int) -> int:
    stmt = select(func.count()).select_from(CartItem).where(CartItem.user_id == user_id)
    return int(session.exec(stmt).one())


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user with EMAIL if PASSWORD is theirs; AuthFailed otherwise (exit 5).

    An unknown email and a wrong password give the same answer in about the
    same time. A hash with old parameters or in Werkzeug's format is replaced
    by a fresh Argon2id hash on success.
    """
    user = find_by_email(session, email)
    if user is None:
        passwords.spend_time_like_a_check(password)
        raise AuthFailed("wrong email or password")
    check = passwords.verify_password(user.password_hash, password)
    if not check.ok:
        raise AuthFailed("wrong email or password")
    if check.new_hash is not None:
        user.password_hash = check.new_hash
        session.add(user)
        session.flush()
    return user


def change_password(session: Session, user: User, *, old_password: str, new_password: str) -> None:
    """Set USER's password to NEW_PASSWORD after checking OLD_PASSWORD (AuthFailed if wrong)."""
    passwords.check_new_password(new_password)
    if not passwords.verify_password(user.password_hash, old_password).ok:
        raise AuthFailed("wrong password")
    user.password_hash = passwords.hash_password(new_password)
    session.add(user)
    session.flush()


@dataclass(frozen=True)
class RemovalPlan:
    """What `user remove` is about to delete, for its confirmation."""

    user_id: int
    name: str
    email: str
    cart_items: int
    password_hash: str  # the hash that was checked: the removal goes ahead only if it is unchanged


class AccountChanged(IshopError):
    """The account changed between the check and the removal (exit 1)."""


def plan_removal(session: Session, *, email: str, password: str) -> RemovalPlan:
    """Check EMAIL's password and count what goes with the account."""
    user = authenticate(session, email=email, password=password)
    assert user.id is not None
    return RemovalPlan(
        user_id=user.id,
        name=user.name,
        email=user.email,
        cart_items=cart_item_count(session, user.id),
        password_hash=user.password_hash,
    )


def remove_user(session: Session, plan: RemovalPlan) -> None:
    """Delete the planned user; the database deletes their cart and sessions (ON DELETE CASCADE)."""
    user = session.get(User, plan.user_id)
    if user is None:
        raise NotFound(f"no user with the email {plan.email}; see: ishop4u user list")
    if user.password_hash != plan.password_hash:
        raise AccountChanged(f"the account {plan.email} changed meanwhile; nothing was removed, try again")
    session.delete(user)
    session.flush()
