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

from sqlmodel import Session, delete, select

from ishop4u_cli import settings
from ishop4u_cli.errors import NotSignedIn
from ishop4u_cli.models import LoginSession, User
from ishop4u_cli.services import users as users_service

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


def _write_session_file(token: str, user: User) -> Path:
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


def _lookup(session: Session, claim: SessionFile) -> tuple[LoginSession, User] | None:
    stmt = (
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == token_hash(claim.token))
    )
    row = session.exec(stmt).first()
    if row is None:
        return None
    login, user = row
    if user.id != claim.user_id:  # a file edited to name someone else
        return None
    return login, user


def signed_in_user(session: Session) -> User | None:
    """The user signed in on this machine, or None (no file, or a file that does not check out)."""
    claim = read_session_file()
    if claim is None:
        return None
    found = _lookup(session, claim)
    return found[1] if found else None


def current_user(session: Session) -> User:
    """The signed-in user, checked against the database; NotSignedIn (exit 4) otherwise."""
    claim = read_session_file()
    if claim is None:
        raise NotSignedIn(SESSION_ENDED if session_file_exists() else NOT_SIGNED_IN)
    found = _lookup(session, claim)
    if found is None:
        raise NotSignedIn(SESSION_ENDED)
    return found[1]


def sign_in(session: Session, user: User) -> None:
    """Start a session for USER on this machine, ending the one it had (whoever it was for)."""
    assert user.id is not None
    claim = read_session_file()
    if claim is not None:
        session.exec(delete(LoginSession).where(LoginSession.token_hash == token_hash(claim.token)))
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(user_id=user.id, token_hash=token_hash(token)))
    # Flush first: a database refusal leaves the old file in place.
    session.flush()
    _write_session_file(token, user)


def login(session: Session, *, email: str, password: str) -> User:
    """Check EMAIL's password and sign that user in on this machine (AuthFailed, exit 5, if wrong)."""
    user = users_service.authenticate(session, email=email, password=password)
    sign_in(session, user)
    return user


def logout(session: Session) -> User | None:
    """End this machine's session: its row and its file. The user it was for, if still valid."""
    claim = read_session_file()
    user: User | None = None
    if claim is not None:
        found = _lookup(session, claim)
        user = found[1] if found else None
        session.exec(delete(LoginSession).where(LoginSession.token_hash == token_hash(claim.token)))
        session.flush()
    forget_session_file()
    return user


def end_other_sessions(session: Session, user: User) -> int:
    """End USER's sessions on other machines (after a password change); how many ended."""
    claim = read_session_file()
    stmt = select(LoginSession).where(LoginSession.user_id == user.id)
    if claim is not None:
        stmt = stmt.where(LoginSession.token_hash != token_hash(claim.token))
    others = list(session.exec(stmt).all())
    for row in others:
        session.delete(row)
    session.flush()
    return len(others)
