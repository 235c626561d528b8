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
