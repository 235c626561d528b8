"""db backup and planted links (issue 14): the temporary file is made exclusively beside DEST,
no link is followed, and a dangling link at the database path is refused, not followed."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from conftest import invoke


def make_db(tmp_path: Path) -> Path:
    path = tmp_path / "live.db"
    r = invoke(["--db", str(path), "db", "upgrade"])
    assert r.exit_code == 0, r
    return path


def is_sqlite(path: Path) -> bool:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_link_planted_at_the_old_partial_name_is_not_followed(tmp_path):
    db = make_db(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "copy.db"
    planted = tmp_path / ".copy.db.partial"
    planted.symlink_to(victim)
    r = invoke(["--db", str(db), "db", "backup", str(dest)])
    assert r.exit_code == 0, r
    assert victim.read_text() == "precious"
    assert planted.is_symlink()  # left as it was, never opened
    assert is_sqlite(dest) and not dest.is_symlink()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


def test_a_planted_world_writable_partial_file_is_not_reused(tmp_path):
    db = make_db(tmp_path)
    planted = tmp_path / ".copy.db.partial"
    planted.write_text("attacker's")
    planted.chmod(0o666)
    dest = tmp_path / "copy.db"
    r = invoke(["--db", str(db), "db", "backup", str(dest)])
    assert r.exit_code == 0, r
    assert planted.read_text() == "attacker's"
    assert os.stat(dest).st_ino != os.stat(planted).st_ino
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial"))
    assert leftovers == [".copy.db.partial"]  # ours is gone, renamed to DEST


def test_a_link_at_dest_is_replaced_not_written_through(tmp_path):
    db = make_db(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    dest = tmp_path / "copy.db"
    dest.symlink_to(victim)
    r = invoke(["--db", str(db), "db", "backup", str(dest)])
    assert r.exit_code == 6, r  # something is there already
    r = invoke(["--db", str(db), "db", "backup", str(dest), "--force"])
    assert r.exit_code == 0, r
    assert victim.read_text() == "precious"
    assert not dest.is_symlink() and is_sqlite(dest)


def test_a_dangling_link_at_dest_counts_as_existing(tmp_path):
    db = make_db(tmp_path)
    dest = tmp_path / "copy.db"
    dest.symlink_to(tmp_path / "nowhere" / "x.db")
    r = invoke(["--db", str(db), "db", "backup", str(dest)])
    assert r.exit_code == 6, r
    assert not (tmp_path / "nowhere").exists()


def test_a_dangling_link_at_the_database_path_is_refused(tmp_path):
    target = tmp_path / "elsewhere.db"
    link = tmp_path / "ishop4u.db"
    link.symlink_to(target)
    for args in (["db", "upgrade"], ["db", "backup", str(tmp_path / "copy.db")], ["product", "list"]):
        r = invoke(["--db", str(link), *args])
        assert r.exit_code == 7, r
        assert r.stderr == (
            f"Error: {link} is a symbolic link to {str(target)!r}, which does not exist: not followed;"
            " remove the link or point it at the database\n"
        )
        assert not target.exists()
    assert not (tmp_path / "copy.db").exists()


def test_a_link_to_an_existing_database_still_works(tmp_path):
    db = make_db(tmp_path)
    link = tmp_path / "link.db"
    link.symlink_to(db)
    r = invoke(["--db", str(link), "product", "list", "--json"])
    assert r.exit_code == 0, r
