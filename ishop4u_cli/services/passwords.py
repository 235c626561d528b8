"""Password hashing: Argon2id for every new hash; the seed's Werkzeug hashes verified, then replaced.

Passwords never go into an exception message or a log line from here: callers
get True/False and, when the stored hash should be replaced, the new hash.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ishop4u_cli.errors import UsageError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

# Test-only: cheap Argon2 parameters so a test suite does not spend a second per
# hash. The installed program never sets it; tests/conftest.py does.
ENV_FAST_HASHING = "ISHOP4U_INSECURE_FAST_HASHING_FOR_TESTS"

MIN_PASSWORD_LENGTH = 8  # NIST SP 800-63B's minimum for a chosen password
MAX_PASSWORD_LENGTH = 1024  # a guard against piping a whole file by mistake

# Formats written by the seed's Flask stack (werkzeug.security.generate_password_hash).
WERKZEUG_PREFIXES = ("pbkdf2:", "scrypt:")


def _fast_hashing() -> bool:
    return os.environ.get(ENV_FAST_HASHING, "") == "1"


@lru_cache(maxsize=2)
def _hasher(fast: bool) -> PasswordHasher:
    from argon2 import PasswordHasher, Type
    from argon2.profiles import RFC_9106_LOW_MEMORY

    if fast:
        return PasswordHasher(time_cost=1, memory_cost=64, parallelism=1, type=Type.ID)
    # RFC 9106's second recommended option: Argon2id, t=3, m=64 MiB, p=4 (above OWASP's minimum).
    return PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)


def hasher() -> PasswordHasher:
    """The Argon2id hasher for this run (cheap only under the test-only setting)."""
    return _hasher(_fast_hashing())


def check_entered(password: str) -> None:
    """Refuse an empty password (end of input at a prompt, an empty line on stdin)."""
    if not password:
        raise UsageError("the password is empty")


def check_new_password(password: str) -> None:
    """Refuse a password too short or too long to be chosen (the message never contains it).

    The rule: 8 to 1,024 characters, any characters. Checked as soon as the
    password is entered, before it is asked a second time for confirmation.
    """
    check_entered(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UsageError(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UsageError(f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters")


def hash_password(password: str) -> str:
    """A new Argon2id hash of PASSWORD."""
    return hasher().hash(password)


@dataclass(frozen=True)
class Verified:
    ok: bool
    new_hash: str | None = None  # set when the stored hash should be replaced by this one


def is_werkzeug_hash(stored: str) -> bool:
    return stored.startswith(WERKZEUG_PREFIXES)


def verify_password(stored: str, password: str) -> Verified:
    """Check PASSWORD against STORED; on success say whether to store a fresh Argon2id hash.

    A hash with older Argon2 parameters, or one in Werkzeug's format, is
    replaced after a successful check.
    """
    if is_werkzeug_hash(stored):
        from werkzeug.security import check_password_hash

        try:
            ok = check_password_hash(stored, password)
        except (ValueError, TypeError):  # an unknown or damaged Werkzeug method
            ok = False
        return Verified(True, hash_password(password)) if ok else Verified(False)

    from argon2.exceptions import InvalidHashError, VerificationError

    ph = hasher()
    try:
        ph.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return Verified(False)
    if ph.check_needs_rehash(stored):
        return Verified(True, hash_password(password))
    return Verified(True)


def spend_time_like_a_check(password: str) -> None:
    """Take about as long as verify_password, for a sign-in to an email that does not exist.

    Hashing and verifying with the same parameters cost the same, so an
    unknown email and a wrong password take the same time.
    """
    hasher().hash(password)
