"""Session files: one per database on this machine, mode 0600 in the state directory, never a password.

A database is named by its URL without the password (for SQLite, `sqlite:///`
and the file's resolved path), and its session file by the SHA-256 of that
name, in `sessions/` under the state directory, so `--db` and
$ISHOP4U_DATABASE_URL switch carts without signing in again. A file holds the
token, the user id and email, and the database's name; the name must match
the file it is read for.

Before sessions were per database there was one file, `session`, in the state
directory. auth.py takes it over as the session of the database it was made
for (or of the default database): `take_over_legacy` moves it into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ishop4u_cli import settings

SESSIONS_DIRNAME = "sessions"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
_FILE_VERSION = 2  # 1: the single `session` file, which named no database


@dataclass(frozen=True)
class SessionFile:
    token: str
    user_id: int


def token_hash(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


# ---------------------------------------------------------------- lifetime


def utc(value: datetime | str | None) -> datetime | None:
    """VALUE as a naive UTC time, as the tables keep them.

    PostgreSQL hands CURRENT_TIMESTAMP aware; the standard library's sqlite3
    (completion) hands times as text.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def expired(last_used: datetime | None, now: datetime, lifetime: timedelta) -> bool:
    """Whether a session last used at LAST_USED (else created) has gone unused for longer than LIFETIME.

    NOW is the database's clock. A session with no time at all cannot show it is fresh.
    """
    return last_used is None or now - last_used > lifetime


# ---------------------------------------------------------------- names


def database_key(url: Any) -> str:
    """The name of the database at URL (a string or a SQLAlchemy URL) for its session: no password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        where = parsed.database or ":memory:"
        if where.startswith("file:") and parsed.query.get("uri") == "true":
            # db.py opens a file it cannot write as a read-only URI: the same database.
            from urllib.parse import unquote

            where = unquote(where.removeprefix("file:"))
        if where != ":memory:":
            where = str(Path(where).expanduser().resolve())
        return f"sqlite:///{where}"
    from sqlalchemy.engine import URL

    # Rebuilt rather than URL.set(password=None), which keeps the password (None means "unchanged").
    unlocked = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        # A password may also come as a query parameter; the key is written into the session file.
        query={k: v for k, v in parsed.query.items() if k.lower() not in ("password", "sslpassword")},
    )
    return unlocked.render_as_string(hide_password=False)


def default_database_key() -> str:
    return database_key(f"sqlite:///{settings.default_database_path()}")


def sessions_dir() -> Path:
    return settings.state_dir() / SESSIONS_DIRNAME


def path_for(key: str) -> Path:
    return sessions_dir() / hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def legacy_path() -> Path:
    """The one session file of the versions before sessions were per database."""
    return settings.session_path()


# ---------------------------------------------------------------- reading


def _parse(path: Path, key: str | None) -> SessionFile | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        token, user_id = data["token"], data["user_id"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        return None
    if key is not None and data.get("database", key) != key:  # a file copied from another database's
        return None
    return SessionFile(token=token, user_id=user_id)


def read(key: str) -> SessionFile | None:
    """The session file of database KEY; None when there is none or it is not ours."""
    return _parse(path_for(key), key)


def exists(key: str) -> bool:
    return path_for(key).exists()


def read_legacy() -> SessionFile | None:
    return _parse(legacy_path(), None)


def legacy_exists() -> bool:
    return legacy_path().exists()


# ---------------------------------------------------------------- writing


def _private_dir(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # someone else's directory layout: leave it be
        os.chmod(directory, 0o700)


def write(key: str, token: str, *, user_id: int, email: str) -> Path:
    """Write KEY's session file atomically: a 0600 temp file in the same directory, then rename."""
    path = path_for(key)
    _private_dir(settings.state_dir())
    _private_dir(path.parent)
    body = json.dumps(
        {"version": _FILE_VERSION, "database": key, "token": token, "user_id": user_id, "email": email}
    )
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
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


def take_over_legacy(key: str) -> None:
    """Make the old single session file database KEY's, unless KEY has one already.

    A hard link never replaces a file another process wrote meanwhile; where
    links are not available, a rename does the same job.
    """
    legacy, path = legacy_path(), path_for(key)
    _private_dir(path.parent)
    try:
        os.link(legacy, path)
    except FileExistsError:
        pass  # KEY's own session won
    except FileNotFoundError:
        return  # another process took it over first
    except OSError:
        if path.exists():
            return
        with contextlib.suppress(FileNotFoundError):
            os.replace(legacy, path)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o600)
    with contextlib.suppress(FileNotFoundError):
        legacy.unlink()


def forget(key: str) -> None:
    """Delete KEY's session file, if any."""
    with contextlib.suppress(FileNotFoundError):
        path_for(key).unlink()


def forget_if(key: str, token: str) -> None:
    """Delete KEY's session file if it still holds TOKEN (another process may have signed in since)."""
    claim = read(key)
    if claim is not None and secrets.compare_digest(claim.token, token):
        forget(key)


def forget_all(*, keep: str | None = None) -> int:
    """Delete every session file on this machine (the old single one too) but KEEP's; how many."""
    kept = path_for(keep) if keep is not None else None
    gone = 0
    candidates = [legacy_path()]
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        candidates += [p for p in sessions_dir().iterdir() if not p.name.startswith(".")]
    for path in candidates:
        if path == kept:
            continue
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            gone += 1
    return gone
