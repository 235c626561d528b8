"""Sessions expire after a time unused (30 days, or $ISHOP4U_SESSION_DAYS), on SQLite and PostgreSQL.

Times are moved with plain SQL on the sessions table: `last_used_at` (and
`created_at`, which stands in for a NULL `last_used_at`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from ishop4u_cli import db
from ishop4u_cli.services import session_files
from ishop4u_cli.tables import sessions

PW = "secret-pw"
EXPIRED = (
    "Error: the session for this database has expired (unused for more than {days}); "
    "log in again: ishop4u user login ann@example.com\n"
)
NOT_SIGNED_IN = (
    "Error: not signed in; run: ishop4u user login EMAIL (or ishop4u user add NAME EMAIL for a new account)\n"
)


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def set_times(engine, *, last_used: datetime | None, created: datetime | None = None) -> None:
    values: dict[str, datetime | None] = {"last_used_at": last_used}
    if created is not None:
        values["created_at"] = created
    with engine.begin() as conn:
        conn.execute(sa.update(sessions).values(**values))


def last_used(engine) -> list[datetime | None]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(sessions.c.last_used_at).order_by(sessions.c.id)).scalars())


def session_file(cli) -> bool:
    return session_files.exists(session_files.database_key(db.to_url(cli.db_url)))


def whoami(cli, **env: str):
    return cli("user", "whoami", "--json", env=env or None)


def test_a_new_session_records_its_use_when_it_starts(ann, engine):
    (used,) = last_used(engine)
    assert used is not None and abs(now() - used) < timedelta(minutes=5)


def test_a_session_used_within_the_hour_is_not_written_again(ann, engine):
    ten_minutes_ago = now().replace(microsecond=0) - timedelta(minutes=10)
    set_times(engine, last_used=ten_minutes_ago)
    for _ in range(3):
        assert whoami(ann).exit_code == 0
        assert ann("cart", "list").exit_code == 0
    assert last_used(engine) == [ten_minutes_ago]  # read-only commands wrote nothing


def test_a_use_after_an_hour_moves_last_used_on(ann, engine):
    set_times(engine, last_used=now() - timedelta(days=29))  # still inside the 30 days
    result = whoami(ann)
    assert result.exit_code == 0, result
    assert json.loads(result.stdout)["email"] == "ann@example.com"
    (used,) = last_used(engine)
    assert abs(now() - used) < timedelta(minutes=5)


def test_a_session_unused_for_31_days_has_expired(ann, engine):
    set_times(engine, last_used=now() - timedelta(days=31))
    result = ann("cart", "list")
    assert (result.exit_code, result.stdout, result.stderr) == (4, "", EXPIRED.format(days="30 days"))
    assert last_used(engine) == []  # the expired row is deleted
    assert not session_file(ann)  # and this machine's file, which named it
    again = whoami(ann)
    assert (again.exit_code, again.stderr) == (4, NOT_SIGNED_IN)
    login = ann("user", "login", "ann@example.com", "--password-stdin", input=PW + "\n")
    assert login.exit_code == 0, login
    assert whoami(ann).exit_code == 0


def test_an_expired_session_writes_nothing(ann, engine, db_rows, page_server):
    set_times(engine, last_used=now() - timedelta(days=40))
    before = db_rows()
    result = ann("cart", "add", page_server.url("/product/basic"))
    assert result.exit_code == 4, result
    assert "has expired" in result.stderr
    assert db_rows() == before


def test_a_session_from_2001_never_signs_in(ann, engine):
    set_times(engine, last_used=datetime(2001, 9, 9, 1, 46, 40))
    result = whoami(ann, ISHOP4U_SESSION_DAYS="3650")  # the longest lifetime there is
    assert (result.exit_code, result.stderr) == (4, EXPIRED.format(days="3650 days"))
    assert last_used(engine) == []


def test_the_lifetime_comes_from_the_environment(ann, engine):
    set_times(engine, last_used=now() - timedelta(days=3))
    assert whoami(ann, ISHOP4U_SESSION_DAYS="5").exit_code == 0  # moved on to now
    set_times(engine, last_used=now() - timedelta(hours=30))
    result = whoami(ann, ISHOP4U_SESSION_DAYS="1")
    assert (result.exit_code, result.stderr) == (4, EXPIRED.format(days="1 day"))


@pytest.mark.parametrize("value", ["0", "3651", "abc", "1.5", "-1", "30d", "٣"])
def test_a_lifetime_out_of_range_is_a_usage_error(ann, engine, value):
    result = whoami(ann, ISHOP4U_SESSION_DAYS=value)
    assert result.exit_code == 2, result
    assert result.stderr == (
        f"Error: ISHOP4U_SESSION_DAYS must be a whole number of days from 1 to 3650, not {value!r}\n"
    )
    assert len(last_used(engine)) == 1  # the session is left alone
    assert session_file(ann)


def test_without_last_used_the_creation_time_counts(ann, engine):
    set_times(engine, last_used=None, created=now() - timedelta(days=2))
    assert whoami(ann).exit_code == 0
    assert last_used(engine)[0] is not None  # recorded now
    set_times(engine, last_used=None, created=now() - timedelta(days=60))
    result = whoami(ann)
    assert (result.exit_code, result.stderr) == (4, EXPIRED.format(days="30 days"))


def test_a_new_account_is_signed_in_over_an_expired_session(ann, engine):
    set_times(engine, last_used=now() - timedelta(days=31))
    result = ann("user", "add", "Bob", "bob@example.com", "--password-stdin", input="bobs-own-pw\n")
    assert result.exit_code == 0, result
    assert "Signed in as Bob" in result.stderr  # nobody was signed in any more
    assert json.loads(whoami(ann).stdout)["email"] == "bob@example.com"
    assert len(last_used(engine)) == 1  # Ann's expired row went with the new sign-in


def test_logout_of_an_expired_session_removes_it(ann, engine):
    set_times(engine, last_used=now() - timedelta(days=31))
    result = ann("user", "logout")
    assert result.exit_code == 0, result
    assert last_used(engine) == []
    assert not session_file(ann)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_read_only_database_still_signs_in(ann, engine):
    """A file nobody may write (chattr +i, which binds root too): a use goes unrecorded, an expired
    session is still refused though its row cannot be deleted."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    path = db.sqlite_path(db.to_url(ann.db_url))

    @contextlib.contextmanager
    def read_only():
        engine.dispose()
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
        if made.returncode != 0:
            pytest.skip(f"chattr +i does not work here: {made.stderr.strip()}")
        try:
            assert not os.access(path, os.W_OK)
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=False)

    two_hours_ago = now().replace(microsecond=0) - timedelta(hours=2)
    set_times(engine, last_used=two_hours_ago)
    with read_only():
        assert ann("cart", "list").exit_code == 0
        assert whoami(ann).exit_code == 0
    assert last_used(engine) == [two_hours_ago]

    set_times(engine, last_used=two_hours_ago - timedelta(days=40))
    with read_only():
        result = whoami(ann)
        assert (result.exit_code, result.stderr) == (4, EXPIRED.format(days="30 days"))
    assert len(last_used(engine)) == 1
