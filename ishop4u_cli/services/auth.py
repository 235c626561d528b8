"""Sign-in sessions: a random token in a 0600 file on this machine, its SHA-256 in the database.

There is one session per database (session_files.py keeps the files), so
switching databases with --db or $ISHOP4U_DATABASE_URL switches carts without
signing in again. A file is only a claim. Every command that needs a user
looks the token's hash up in that database's `sessions` table and takes the
user from there; the user id in the file must agree, so an edited file, a
token of a removed user or a token after logout all read as "not signed in".

A session unused for longer than $ISHOP4U_SESSION_DAYS (default 30) has
expired: current_user says so (exit 4) and its row is deleted. Each use moves
`last_used_at` on, at most once an hour (TOUCH_EVERY), so read-only commands
do not write on every run. Times are the database's clock, as `created_at`.

The user commands' write phases are one call each here: register (create and
sign in), login, change_password (and end the other sessions), remove_account
(and forget this machine's session), sign_out.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from ishop4u_cli import settings
from ishop4u_cli.errors import NotSignedIn, UsageError
from ishop4u_cli.services import session_files as files
from ishop4u_cli.services import users as users_service
from ishop4u_cli.services.session_files import SessionFile, token_hash
from ishop4u_cli.services.users import Account, RemovalPlan
from ishop4u_cli.tables import sessions, users

if TYPE_CHECKING:
    from sqlmodel import Session

LOGIN_HINT = "run: ishop4u user login EMAIL (or ishop4u user add NAME EMAIL for a new account)"
NOT_SIGNED_IN = f"not signed in; {LOGIN_HINT}"
SESSION_ENDED = f"not signed in: the session for this database has ended or is not valid; {LOGIN_HINT}"
TOUCH_EVERY = timedelta(hours=1)  # how stale last_used_at may get before a use writes it


class SessionExpired(NotSignedIn):
    """The session went unused for too long (exit 4). Its row goes after the rollback.

    The error ends the command's transaction, and with it any delete made in it;
    db.session_scope calls `after_rollback` in a transaction of its own.
    """

    def __init__(self, message: str, *, token_hash: str) -> None:
        super().__init__(message)
        self.token_hash = token_hash

    def after_rollback(self, session: Session) -> None:
        session.exec(sa.delete(sessions).where(sessions.c.token_hash == self.token_hash))


class Database(Protocol):
    """The run's database as sign-out needs it: its URL, and a session only when there is work."""

    def url(self) -> str: ...

    def session(self) -> AbstractContextManager[Session]: ...


# ---------------------------------------------------------------- this database's claim


def _key(session: Session) -> str:
    bind = session.get_bind()
    return files.database_key(getattr(bind, "engine", bind).url)


@dataclass(frozen=True)
class _Found:
    user: Account
    last_used: datetime | None  # last_used_at, else created_at (both the database's UTC clock)
    now: datetime  # the database's clock, read with the row


def _find(session: Session, claim: SessionFile) -> _Found | None:
    """CLAIM's session and account, if the file names that account too (expired or not)."""
    stmt = (
        sa.select(
            *users_service.ACCOUNT_COLUMNS,
            sa.func.coalesce(sessions.c.last_used_at, sessions.c.created_at).label("last_used"),
            sa.func.current_timestamp().label("now"),
        )
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == token_hash(claim.token))
    )
    row = session.exec(stmt).first()
    if row is None or row.id != claim.user_id:  # no such session, or a file edited to name someone else
        return None
    now = files.utc(row.now)
    assert now is not None
    return _Found(user=users_service.account_from_row(row), last_used=files.utc(row.last_used), now=now)


def _lifetime() -> timedelta:
    try:
        return timedelta(days=settings.session_days())
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _expired(found: _Found, lifetime: timedelta) -> bool:
    return files.expired(found.last_used, found.now, lifetime)


def _lookup(session: Session, claim: SessionFile) -> Account | None:
    """The account whose unexpired session has CLAIM's token, if the file names that account too."""
    found = _find(session, claim)
    return None if found is None or _expired(found, _lifetime()) else found.user


def _touch(session: Session, claim: SessionFile, found: _Found) -> None:
    """Record a use of CLAIM's session, when the last one recorded is an hour old or more.

    In a savepoint: a database this process cannot write to (a read-only file,
    a standby) still signs in; the use is recorded another time.
    """
    if found.last_used is not None and found.now - found.last_used < TOUCH_EVERY:
        return
    try:
        with session.begin_nested():
            session.exec(
                sa.update(sessions)
                .where(sessions.c.token_hash == token_hash(claim.token))
                .values(last_used_at=sa.func.current_timestamp())
            )
    except sa.exc.DBAPIError:
        pass


def _claim(session: Session, key: str) -> SessionFile | None:
    """KEY's session file, after taking over the old single file if it was made for this database.

    The old file names no database: it is this one's when this database knows
    its token, or when this is the default database (which also keeps the
    "session has ended" answer for a file that no longer checks out).
    """
    claim = files.read(key)
    if claim is not None or files.exists(key) or not files.legacy_exists():
        return claim
    legacy = files.read_legacy()
    if key == files.default_database_key() or (legacy is not None and _lookup(session, legacy)):
        files.take_over_legacy(key)
        return files.read(key)
    return None


def _end_session(session: Session, claim: SessionFile) -> None:
    session.exec(sa.delete(sessions).where(sessions.c.token_hash == token_hash(claim.token)))


def signed_in_user(session: Session) -> Account | None:
    """The user signed in to this database on this machine, or None."""
    claim = _claim(session, _key(session))
    return None if claim is None else _lookup(session, claim)


def current_user(session: Session) -> Account:
    """The signed-in user, checked against the database; NotSignedIn (exit 4) otherwise.

    An expired session raises SessionExpired (exit 4): its file is forgotten at
    once, its row deleted once the command's transaction has rolled back. Call
    this before the transaction writes anything.
    """
    return _current(session)[0]


def _current(session: Session) -> tuple[Account, SessionFile]:
    """current_user, and the session file that signed them in."""
    key = _key(session)
    claim = _claim(session, key)
    if claim is None:
        raise NotSignedIn(SESSION_ENDED if files.exists(key) else NOT_SIGNED_IN)
    found = _find(session, claim)
    if found is None:
        raise NotSignedIn(SESSION_ENDED)
    lifetime = _lifetime()
    if _expired(found, lifetime):
        files.forget_if(key, claim.token)
        days = lifetime.days
        raise SessionExpired(
            f"the session for this database has expired (unused for more than {days} "
            f"day{'s' if days != 1 else ''}); log in again: ishop4u user login {found.user.email}",
            token_hash=token_hash(claim.token),
        )
    _touch(session, claim, found)
    return found.user, claim


# ---------------------------------------------------------------- the write phases


def sign_in(session: Session, user: Account) -> None:
    """Start a session for USER on this database, ending the one it had here (whoever it was for)."""
    key = _key(session)
    claim = _claim(session, key)
    if claim is not None:
        _end_session(session, claim)
    token = secrets.token_urlsafe(32)
    # The row is written before the file: a database refusal leaves the old file in place.
    session.exec(
        sa.insert(sessions).values(
            user_id=user.id, token_hash=token_hash(token), last_used_at=sa.func.current_timestamp()
        )
    )
    files.write(key, token, user_id=user.id, email=user.email)


def login(session: Session, *, email: str, password: str) -> Account:
    """Check EMAIL's password and sign that user in (AuthFailed, exit 5, if wrong)."""
    user = users_service.authenticate(session, email=email, password=password)
    sign_in(session, user)
    return user


@dataclass(frozen=True)
class Registered:
    user: Account
    signed_in: bool  # the new account was signed in: nobody was signed in to this database
    current: Account | None  # who stays signed in otherwise


def register(session: Session, *, name: str, email: str, password: str) -> Registered:
    """Create an account; sign it in when nobody is signed in to this database on this machine."""
    user = users_service.create_user(session, name=name, email=email, password=password)
    current = signed_in_user(session)
    if current is None:
        sign_in(session, user)
    return Registered(user=user, signed_in=current is None, current=current)


@dataclass(frozen=True)
class PasswordChanged:
    user: Account
    other_sessions_ended: int  # the account's sessions elsewhere, ended with the change


def change_password(session: Session, *, old_password: str, new_password: str) -> PasswordChanged:
    """Change the signed-in user's password and end their other sessions (this one stays)."""
    user, claim = _current(session)
    users_service.change_password(session, user, old_password=old_password, new_password=new_password)
    stmt = sa.delete(sessions).where(
        sessions.c.user_id == user.id, sessions.c.token_hash != token_hash(claim.token)
    )
    return PasswordChanged(user=user, other_sessions_ended=session.exec(stmt).rowcount)


def remove_account(session: Session, plan: RemovalPlan) -> bool:
    """Remove the planned account; forget this machine's session if it was theirs. Whether it was."""
    here = signed_in_user(session)
    users_service.remove_user(session, plan)
    was_here = here is not None and here.id == plan.user_id
    if was_here:
        files.forget(_key(session))
    return was_here


@dataclass(frozen=True)
class SignedOut:
    user: Account | None  # whose session on this database ended, when it was still valid
    had_session: bool  # this database had a session file on this machine
    others: int  # with everywhere: the sessions of other databases forgotten on this machine


def sign_out(db: Database, *, everywhere: bool = False) -> SignedOut:
    """End this database's session on this machine: its row and its file; EVERYWHERE: every file too.

    The other databases' files are deleted without reaching those databases
    (the files hold no password to reach them with): their tokens existed only
    there, so those sessions cannot be used again.
    """
    key = files.database_key(db.url())
    user: Account | None = None
    had = files.exists(key)
    if had or files.legacy_exists():  # the database is opened only when there is a session to end
        with db.session() as session:
            claim = _claim(session, key)
            had = files.exists(key)
            if claim is not None:
                user = _lookup(session, claim)
                _end_session(session, claim)
        files.forget(key)
    others = files.forget_all(keep=key) if everywhere else 0
    return SignedOut(user=user, had_session=had, others=others)
