"""Where things live and what the environment says, read when a command runs (never at import)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ishop4u"
DB_FILENAME = "ishop4u.db"
SESSION_FILENAME = "session"
CHECKOUT_PAGE_FILENAME = "checkout.html"

ENV_DATABASE_URL = "ISHOP4U_DATABASE_URL"
ENV_CURRENCY = "ISHOP4U_CURRENCY"
ENV_DEBUG = "ISHOP4U_DEBUG"
ENV_SESSION_DAYS = "ISHOP4U_SESSION_DAYS"

DEFAULT_SESSION_DAYS = 30
MAX_SESSION_DAYS = 3650  # ten years: even at the longest, a session from 2001 has expired


def data_dir() -> Path:
    """The platform's user data directory for ishop4u (~/.local/share/ishop4u on Linux)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """The platform's user state directory (~/.local/state/ishop4u on Linux): the session file."""
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """The platform's user cache directory (~/.cache/ishop4u on Linux): pages made to be looked at."""
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def checkout_page_path() -> Path:
    """Where `checkout --html` writes its page unless --output says otherwise."""
    return cache_dir() / CHECKOUT_PAGE_FILENAME


def default_database_path() -> Path:
    return data_dir() / DB_FILENAME


def session_path() -> Path:
    # On macOS and Windows the state and data directories are one folder: the
    # name must not collide with the database's.
    return state_dir() / SESSION_FILENAME


def database_target(option: str | None) -> str:
    """The database to use: --db, then $ISHOP4U_DATABASE_URL, then the default file."""
    if option:
        return option
    env = os.environ.get(ENV_DATABASE_URL, "").strip()
    if env:
        return env
    return str(default_database_path())


def db_option_first(args: list[str]) -> list[str]:
    """ARGS with a --db given after the command (`cart list --db x`) moved in front, where it belongs.

    --db is an option of `ishop4u` itself; given after a group it would be refused
    as unknown there. Anything after `--` is left alone.
    """
    start = 0
    while start < len(args) and args[start].startswith("-") and args[start] != "--":
        start += 2 if args[start] == "--db" else 1  # the root's own options, --db VALUE among them
    moved: list[str] = []
    rest: list[str] = []
    i = start
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg == "--db" and i + 1 < len(args):  # with its value
            moved += args[i : i + 2]
            i += 2
            continue
        if arg.startswith("--db="):
            moved.append(arg)
        else:
            rest.append(arg)
        i += 1
    return [*args[:start], *moved, *rest] if moved else args  # after the root's own: the last one wins


def default_currency() -> str:
    return os.environ.get(ENV_CURRENCY, "").strip().upper() or "USD"


def debug() -> bool:
    return os.environ.get(ENV_DEBUG, "") not in ("", "0")


def seconds_from_env(name: str, default: float, *, most: float) -> float:
    """$NAME as seconds when it is a number above 0 and at most MOST, else DEFAULT (never an error)."""
    try:
        seconds = float(os.environ.get(name, ""))
    except ValueError:
        return default
    return seconds if 0 < seconds <= most else default


def session_days() -> int:
    """Days a sign-in session may go unused: $ISHOP4U_SESSION_DAYS (1 to 3650), else 30.

    ValueError, with a message for the user, for anything but a whole number in range.
    """
    raw = os.environ.get(ENV_SESSION_DAYS, "").strip()
    if not raw:
        return DEFAULT_SESSION_DAYS
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= MAX_SESSION_DAYS:
        raise ValueError(
            f"{ENV_SESSION_DAYS} must be a whole number of days from 1 to {MAX_SESSION_DAYS}, not {raw!r}"
        )
    return int(raw)
