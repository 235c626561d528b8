"""A SQLite file ishop4u refuses, cannot read or cannot write stays byte-for-byte as it was.

Each test takes the file's checksum before and after, and checks that no
-wal, -shm or -journal file is left beside it. Read-only files are made
immutable with `chattr +i` (the tests run as root, who ignores mode bits),
and made mutable again in the teardown.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import invoke
from migration_helpers import SEED_DDL_SQLITE, SEED_ROWS, upgrade_to

from ishop4u_cli import db

SIDE_FILES = ("-wal", "-shm", "-journal")


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(path: Path) -> list[str]:
    return [p.name for p in path.parent.iterdir() if p.name != path.name and p.name.startswith(path.name)]


def assert_untouched(path: Path, before: str) -> None:
    assert checksum(path) == before
    assert side_files(path) == []


@pytest.fixture
def immutable():
    """chattr +i PATH (a file even root cannot write), undone at the end of the test."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not available")
    made: list[Path] = []

    def make(path: Path) -> Path:
        result = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=False)
        if result.returncode != 0:
            pytest.skip(f"chattr +i does not work here: {result.stderr.strip()}")
        made.append(path)
        assert not os.access(path, os.W_OK)
        return path

    yield make
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def other_application(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.execute("INSERT INTO notes (body) VALUES ('mine')")
    conn.close()
    return path


def seed_with_extra_column(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(
            SEED_DDL_SQLITE.replace("    notes TEXT,\n", "    notes TEXT,\n    gift BOOLEAN,\n")
        )
        conn.executescript(SEED_ROWS)
    conn.close()
    return path


def ishop4u_database(path: Path, *, revision: str | None = None) -> Path:
    """A database of ishop4u's own (at REVISION, else the newest), closed, in rollback-journal mode."""
    if revision is None:
        db.open_database(str(path)).dispose()
    else:
        upgrade_to(str(path), revision)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO affiliate_sources (name) VALUES ('Corner Shop')")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


COMMANDS = [["db", "upgrade"], ["db", "current"], ["product", "list"], ["source", "add", "Shop"]]


@pytest.mark.parametrize("make", [other_application, seed_with_extra_column], ids=["other", "seed+column"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_refused_database_is_not_changed_by_a_byte(tmp_path, make, command):
    path = make(tmp_path / "other.db")
    before = checksum(path)
    r = invoke(["--db", str(path), *command])
    if command != ["db", "current"]:
        assert r.exit_code == 7, r
        assert "cannot adopt this database" in r.stderr and "Nothing was changed" in r.stderr
    assert_untouched(path, before)


def _corrupt_pages(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO notes (body) VALUES (?)", [("x" * 500,)] * 50)
    conn.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = bytes((i * 37) % 251 for i in range(3996))  # the schema page, scrambled
    path.write_bytes(bytes(data))
    return path


def _corrupt_header(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 16)
    return path


def _not_a_database(path: Path) -> Path:
    path.write_text("name,url\nMug,https://example.com/mug\n")
    return path


@pytest.mark.parametrize("make", [_corrupt_pages, _corrupt_header, _not_a_database])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_corrupt_database_is_not_changed_by_a_byte(tmp_path, make, command):
    path = make(tmp_path / "broken.db")
    before = checksum(path)
    r = invoke(["--db", str(path), *command])
    assert r.exit_code == 7, r
    assert r.stderr.startswith("Error: cannot open the database at ") and r.stderr.count("\n") == 1
    assert "malformed" in r.stderr or "not a database" in r.stderr
    assert_untouched(path, before)


@pytest.mark.parametrize("command", COMMANDS[:3], ids=" ".join)
def test_refused_read_only_database_is_not_changed(tmp_path, immutable, command):
    path = immutable(other_application(tmp_path / "other.db"))
    before = checksum(path)
    r = invoke(["--db", str(path), *command])
    if command != ["db", "current"]:
        assert r.exit_code == 7, r
        assert "cannot adopt this database" in r.stderr
    assert_untouched(path, before)


def test_read_only_database_at_head_is_read_and_not_changed(tmp_path, immutable):
    path = ishop4u_database(tmp_path / "mine.db")
    owner = ["--db", str(path), "user", "add", "Owner", "owner@example.com", "--password-stdin"]
    assert invoke(owner, input="owner-password\n").exit_code == 0  # an admin, to try a source add
    path = immutable(path)
    before = checksum(path)

    r = invoke(["--db", str(path), "source", "list"])
    assert r.exit_code == 0, r
    assert "Corner Shop" in r.stdout
    assert invoke(["--db", str(path), "db", "current"]).exit_code == 0
    assert invoke(["--db", str(path), "db", "upgrade"]).exit_code == 0

    r = invoke(["--db", str(path), "source", "add", "New Shop"])
    assert r.exit_code == 7, r
    assert "readonly database" in r.stderr and r.stderr.count("\n") == 1
    assert_untouched(path, before)


def test_read_only_database_in_wal_mode_leaves_no_side_files(tmp_path, immutable):
    path = tmp_path / "mine.db"
    db.open_database(str(path)).dispose()  # ishop4u's own: WAL mode, closed cleanly
    assert path.read_bytes()[18:20] == b"\x02\x02"
    immutable(path)
    before = checksum(path)
    r = invoke(["--db", str(path), "product", "list"])
    assert r.exit_code == 0, r
    assert_untouched(path, before)


@pytest.mark.parametrize("command", [["db", "upgrade"], ["product", "list"]], ids=" ".join)
def test_read_only_database_that_needs_an_upgrade_is_not_changed(tmp_path, immutable, command):
    path = immutable(ishop4u_database(tmp_path / "old.db", revision="0003"))
    before = checksum(path)
    r = invoke(["--db", str(path), *command])
    assert r.exit_code == 7, r
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
    assert "read-only" in r.stderr or "readonly" in r.stderr
    assert_untouched(path, before)


def test_accepted_database_is_switched_to_wal(tmp_path):
    """The other side of the rule: a database ishop4u accepts gets its settings (WAL)."""
    path = ishop4u_database(tmp_path / "mine.db")
    assert path.read_bytes()[18:20] == b"\x01\x01"  # rollback journal
    assert invoke(["--db", str(path), "source", "list"]).exit_code == 0
    assert path.read_bytes()[18:20] == b"\x02\x02"  # WAL

    old = ishop4u_database(tmp_path / "old.db", revision="0002")
    assert invoke(["--db", str(old), "db", "upgrade"]).exit_code == 0
    assert old.read_bytes()[18:20] == b"\x02\x02"


def test_reading_a_database_at_head_changes_nothing(tmp_path):
    """At the newest revision, opening is a look at alembic_version: no upgrade, no setting written."""
    path = tmp_path / "mine.db"
    db.open_database(str(path)).dispose()
    before = checksum(path)
    for command in (["product", "list"], ["db", "current"], ["source", "list"]):
        assert invoke(["--db", str(path), *command]).exit_code == 0
    assert_untouched(path, before)
