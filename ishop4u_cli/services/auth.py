"""Sign-in sessions: a random token in a 0600 file on this machine, its SHA-256 in the database.

The file is only a claim. Every command that needs a user looks the token's
hash up in the `sessions` table and takes the user from there; the user id in
the file must agree, so an edited file, a token of a removed user or a token
after logout all read as "not signed in".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import settings
from ishop4u_cli.errors import NotSignedIn
from ishop4u_cli.services import users as users_service
from ishop4u_cli.services.users import Account
from ishop4u_cli.tables import sessions, users

LOGIN_HINT = "run: ishop4u user login EMAIL (or ishop4u user add NAME EMAIL for a new account)"
NOT_SIGNED_IN = f"not signed in; {LOGIN_HINT}"
SESSION_ENDED = f"not signed in: the session on this machine has ended or is not valid; {LOGIN_HINT}"

_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_FILE_VERSION = 1


# ---------------------------------------------------------------- the file


@dataclass(frozen=True)
class SessionFile:
    token: str
    user_id: int


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def read_session_file() -> SessionFile | None:
    """The session file's token and user id; None when there is no file or it is not ours."""
    path = settings.session_path()
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return None
    try:
        data = json.loads(raw)
        token, user_id = data["token"], data["user_id"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    return SessionFile(token=token, user_id=user_id)


def session_file_exists() -> bool:
    return settings.session_path().exists()


def _write_session_file(token: str, user: Account) -> Path:
    """Write the session file atomically: a 0600 temp file in the same directory, then rename."""
    path = settings.session_path()
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # someone else's directory layout: leave it be
        os.chmod(directory, 0o700)
    body = json.dumps({"version": _FILE_VERSION, "token": token, "user_id": user.id, "email": user.email})
    tmp = directory / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(body + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def forget_session_file() -> None:
    """Delete this machine's session file, if any."""
    with contextlib.suppress(FileNotFoundError):
        settings.session_path().unlink()


# ---------------------------------------------------------------- the database


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


def _end_session(session: Session, claim: SessionFile) -> None:
    session.exec(sa.delete(sessions).where(sessions.c.token_hash == token_hash(claim.token)))


def signed_in_user(session: Session) -> Account | None:
    """The user signed in on this machine, or None (no file, or a file that does not check out)."""
    claim = read_session_file()
    if claim is None:
        return None
    return _lookup(session, claim)


def current_user(session: Session) -> Account:
    """The signed-in user, checked against the database; NotSignedIn (exit 4) otherwise."""
    claim = read_session_file()
    if claim is None:
        raise NotSignedIn(SESSION_ENDED if session_file_exists() else NOT_SIGNED_IN)
    user = _lookup(session, claim)
    if user is None:
        raise NotSignedIn(SESSION_ENDED)
    return user


def sign_in(session: Session, user: Account) -> None:
    """Start a session for USER on this machine, ending the one it had (whoever it was for)."""
    claim = read_session_file()
    if claim is not None:
        _end_session(session, claim)
    token = secrets.token_urlsafe(32)
    # The row is written before the file: a database refusal leaves the old file in place.
    session.exec(sa.insert(sessions).values(user_id=user.id, token_hash=token_hash(token)))
    _write_session_file(token, user)


def login(session: Session, *, email: str, password: str) -> Account:
    """Check EMAIL's password and sign that user in on this machine (AuthFailed, exit 5, if wrong)."""
    user = users_service.authenticate(session, email=email, password=password)
    sign_in(session, user)
    return user


def logout(session: Session) -> Account | None:
    """End this machine's session: its row and its file. The user it was for, if still valid."""
    claim = read_session_file()
    user: Account | None = None
    if claim is not None:
        user = _lookup(session, claim)
        _end_session(session, claim)
    forget_session_file()
    return user


def end_other_sessions(session: Session, user: Account) -> int:
    """End USER's sessions on other machines (after a password change); how many ended."""
    claim = read_session_file()
    stmt = sa.delete(sessions).where(sessions.c.user_id == user.id)
    if claim is not None:
        stmt = stmt.where(sessions.c.token_hash != token_hash(claim.token))
    return session.exec(stmt).rowcount
