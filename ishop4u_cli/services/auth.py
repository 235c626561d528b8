"""Sign-in sessions: a random token in a 0600 file on this machine, its SHA-256 in the database.

There is one session per database (session_files.py keeps the files), so
switching databases with --db or $ISHOP4U_DATABASE_URL switches carts without
signing in again. A file is only a claim. Every command that needs a user
looks the token's hash up in that database's `sessions` table and takes the
user from there; the user id in the file must agree, so an edited file, a
token of a removed user or a token after logout all read as "not signed in".

The user commands' write phases are one call each here: register (create and
sign in), login, change_password (and end the other sessions), remove_account
(and forget this machine's session), sign_out.
"""

from __future__ import annotations

import secrets
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from ishop4u_cli.errors import NotSignedIn
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


class Database(Protocol):
    """The run's database as sign-out needs it: its URL, and a session only when there is work."""

    def url(self) -> str: ...

    def session(self) -> AbstractContextManager[Session]: ...


# ---------------------------------------------------------------- this database's claim


def _key(session: Session) -> str:
    bind = session.get_bind()
    return files.database_key(getattr(bind, "engine", bind).url)


def _lookup(session: Session, claim: SessionFile) -> Account | None:
    """The account whose session has CLAIM's token, if the file names that account too."""
    stmt = (
        sa.select(*users_service.ACCOUNT_COLUMNS)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.token_hash == token_hash(claim.token))
    )
    row = session.exec(stmt).first()
    if row is None or row.id != claim.user_id:  # no such session, or a file edited to name someone else
        return None
    return users_service.account_from_row(row)


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
    """The signed-in user, checked against the database; NotSignedIn (exit 4) otherwise."""
    key = _key(session)
    claim = _claim(session, key)
    if claim is None:
        raise NotSignedIn(SESSION_ENDED if files.exists(key) else NOT_SIGNED_IN)
    user = _lookup(session, claim)
    if user is None:
        raise NotSignedIn(SESSION_ENDED)
    return user


# ---------------------------------------------------------------- the write phases


def sign_in(session: Session, user: Account) -> None:
    """Start a session for USER on this database, ending the one it had here (whoever it was for)."""
    key = _key(session)
    claim = _claim(session, key)
    if claim is not None:
        _end_session(session, claim)
    token = secrets.token_urlsafe(32)
    # The row is written before the file: a database refusal leaves the old file in place.
    session.exec(sa.insert(sessions).values(user_id=user.id, token_hash=token_hash(token)))
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
    user = current_user(session)
    users_service.change_password(session, user, old_password=old_password, new_password=new_password)
    claim = files.read(_key(session))
    stmt = sa.delete(sessions).where(sessions.c.user_id == user.id)
    if claim is not None:
        stmt = stmt.where(sessions.c.token_hash != token_hash(claim.token))
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
