"""Every error the program reports, each with its exit code (documented in the README)."""

from __future__ import annotations

import sys
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1  # anything not covered below
    USAGE = 2  # bad option, argument or value; no terminal for a prompt
    NOT_FOUND = 3  # an id, name, email or file that does not exist
    NOT_SIGNED_IN = 4  # the command needs a signed-in user
    AUTH_FAILED = 5  # wrong password
    CONFLICT = 6  # already exists (an email, a source name)
    DATABASE = 7  # cannot open, reach or migrate the database
    ALL_PAGES_FAILED = 8  # refresh: not one page could be read
    REFRESH_RUNNING = 9  # refresh: another refresh of the same database is running
    NOT_ALLOWED = 10  # only an admin (or the product's creator) may do that; or db secure's rules refuse
    INTERRUPTED = 130  # Ctrl-C
    BROKEN_PIPE = 141  # stdout closed by its reader (`| head -1`), as a shell reports SIGPIPE


class IshopError(Exception):
    """Base of every error shown to the user as one `Error: ...` line."""

    exit_code: ExitCode = ExitCode.ERROR


class UsageError(IshopError):
    exit_code = ExitCode.USAGE


class NotFound(IshopError):
    exit_code = ExitCode.NOT_FOUND


class NotSignedIn(IshopError):
    exit_code = ExitCode.NOT_SIGNED_IN


class NotAllowed(IshopError):
    """A signed-in user asked for what only an admin or a product's creator may do; nothing was written."""

    exit_code = ExitCode.NOT_ALLOWED


class AuthFailed(IshopError):
    exit_code = ExitCode.AUTH_FAILED


class Conflict(IshopError):
    exit_code = ExitCode.CONFLICT


class DatabaseError(IshopError):
    exit_code = ExitCode.DATABASE


class AllPagesFailed(IshopError):
    exit_code = ExitCode.ALL_PAGES_FAILED


class RefreshRunning(IshopError):
    exit_code = ExitCode.REFRESH_RUNNING


def translate(exc: BaseException) -> IshopError | None:
    """Map a library exception that escaped a command to one of ours, or None.

    SQLAlchemy is only consulted if it is already imported, so that the
    error path never pays for the import.
    """
    if isinstance(exc, IshopError):
        return exc
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, sa_exc.SQLAlchemyError):
        orig = getattr(exc, "orig", None)
        detail = str(orig if orig is not None else exc).strip().splitlines()[0]
        if getattr(orig, "sqlstate", None) == "42501":  # insufficient_privilege: db secure's rules said no
            return NotAllowed(f"the database refused: {detail}")
        if isinstance(exc, sa_exc.OperationalError):
            return DatabaseError(f"database error: {detail}")
        if isinstance(exc, sa_exc.IntegrityError):
            return Conflict(f"the database refused the change: {detail}")
        if isinstance(exc, sa_exc.NoSuchModuleError):
            return DatabaseError(f"no database driver for this URL: {detail}")
        return DatabaseError(f"database error: {detail}")
    return None
