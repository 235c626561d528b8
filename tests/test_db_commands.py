"""`ishop4u db ...`, where the database lives, its file modes and its automatic upgrade."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading

from conftest import invoke
from migration_helpers import describe, engine_for, execute, upgrade_to

from ishop4u_cli import db


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_default_database_lives_in_the_user_data_dir_with_private_modes(isolated_home):
    r = invoke(["db", "upgrade"])
    assert r.exit_code == 0, r
    path = isolated_home / ".local/share/ishop4u/ishop4u.db"
    assert invoke(["db", "path"]).stdout.strip() == str(path)
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
    with sqlite3.connect(path) as conn:
        tables = sorted(t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'"))
    assert {"affiliate_sources", "alembic_version", "cart_items", "products", "users"} <= set(tables)


def test_sqlite_side_files_follow_the_database_mode(tmp_path):
    path = tmp_path / "d" / "ishop4u.db"
    engine = db.open_database(str(path))
    try:
        with engine.connect() as conn:  # holds the WAL open
            conn.exec_driver_sql("INSERT INTO affiliate_sources (name) VALUES ('x')")
            conn.commit()
            wal = path.with_name(path.name + "-wal")
            shm = path.with_name(path.name + "-shm")
            assert wal.exists() and shm.exists()
            assert _mode(wal) == 0o600 and _mode(shm) == 0o600
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_db_option_beats_environment_beats_default(tmp_path, isolated_home):
    env_db = tmp_path / "env.db"
    opt_db = tmp_path / "opt.db"
    default = isolated_home / ".local/share/ishop4u/ishop4u.db"
    assert invoke(["db", "path"]).stdout.strip() == str(default)
    env = {"ISHOP4U_DATABASE_URL": str(env_db)}
    assert invoke(["db", "path"], env=env).stdout.strip() == str(env_db)
    assert invoke(["--db", str(opt_db), "db", "path"], env=env).stdout.strip() == str(opt_db)
    # And the command really uses it.
    assert invoke(["db", "upgrade"], env=env).exit_code == 0
    assert env_db.exists() and not default.exists() and not opt_db.exists()


def test_db_path_hides_the_password_of_a_url():
    r = invoke(["--db", "postgresql+psycopg://ann:s3cret@db.example:5432/carts", "db", "path"])
    assert r.exit_code == 0
    assert r.stdout.strip() == "postgresql+psycopg://ann:***@db.example:5432/carts"
    assert "s3cret" not in r.stdout + r.stderr


def test_older_database_is_upgraded_by_any_command_that_needs_it(tmp_path):
    path = str(tmp_path / "old.db")
    upgrade_to(path, "0001")
    current = json.loads(invoke(["--db", path, "db", "current", "--json"]).stdout)
    assert current == {"database": path, "revision": "0001", "head": db.SCHEMA_HEAD, "up_to_date": False}

    r = invoke(["--db", path, "source", "list", "--json"])
    assert r.exit_code == 0, r
    assert json.loads(invoke(["--db", path, "db", "current", "--json"]).stdout)["up_to_date"] is True


def test_db_current_and_upgrade_report_revisions(tmp_path):
    path = str(tmp_path / "x.db")
    upgrade_to(path, "0002")
    text = invoke(["--db", path, "db", "current"]).stdout
    assert (
        "revision:  0002" in text
        and f"newest:    {db.SCHEMA_HEAD}" in text
        and "no (run: ishop4u db upgrade)" in text
    )
    r = invoke(["--db", path, "db", "upgrade"])
    assert r.stderr.strip() == f"Upgraded {path} from 0002 to {db.SCHEMA_HEAD}."
    r = invoke(["--db", path, "db", "upgrade"])
    assert r.stderr.strip() == f"Already at the newest revision {db.SCHEMA_HEAD}: {path}"


def test_failed_migration_leaves_the_database_as_it_was(empty_target):
    upgrade_to(empty_target, "0003")
    # Revision 0004 adds products.currency, then creates this index name: make that step fail.
    execute(empty_target, "CREATE INDEX uq_products_canonical_url ON users (email)")
    with engine_for(empty_target) as engine:
        before = describe(engine)

    r = invoke(["--db", empty_target, "db", "upgrade"])
    assert r.exit_code == 7, r
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr

    with engine_for(empty_target) as engine:
        assert describe(engine) == before  # no half-added currency column
        with engine.connect() as conn:
            assert db.read_revision(conn) == "0003"


def test_backup_is_a_consistent_copy_while_in_use(tmp_path):
    path = tmp_path / "live.db"
    engine = db.open_database(str(path))
    stop = threading.Event()
    written = []

    def writer():
        i = 0
        while not stop.is_set():
            with db.session_scope(engine) as s:
                s.connection().exec_driver_sql(f"INSERT INTO affiliate_sources (name) VALUES ('s{i}')")
            written.append(i)
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(written) < 20:
            pass
        r = invoke(["--db", str(path), "db", "backup", str(tmp_path / "copy.db")])
    finally:
        stop.set()
        t.join()
        engine.dispose()
    assert r.exit_code == 0, r
    copy = tmp_path / "copy.db"
    assert _mode(copy) == 0o600
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = [
            n for (n,) in conn.execute("SELECT name FROM affiliate_sources WHERE name LIKE 's%' ORDER BY id")
        ]
    # A consistent prefix of what was written: no gaps.
    assert names == [f"s{i}" for i in range(len(names))] and len(names) >= 20

    again = invoke(["--db", str(path), "db", "backup", str(copy)])
    assert again.exit_code == 6 and "--force" in again.stderr


def test_backup_of_postgres_points_to_pg_dump():
    r = invoke(["--db", "postgresql+psycopg://nobody@127.0.0.1:1/none", "db", "backup", "x.db"])
    assert r.exit_code in (2, 7)
    assert r.stderr.startswith("Error: ")


def test_not_a_database_is_one_line_error(tmp_path):
    bogus = tmp_path / "bogus.db"
    bogus.write_text("this is not sqlite" * 100)
    r = invoke(["--db", str(bogus), "db", "upgrade"])
    assert r.exit_code == 7
    assert r.stderr.startswith("Error: cannot open the database at") and r.stderr.count("\n") == 1


def test_unreachable_postgres_and_debug_traceback():
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    r = invoke(["--db", url, "db", "upgrade"])
    assert (
        r.exit_code == 7
        and r.stderr.startswith("Error: cannot open the database at")
        and r.stderr.count("\n") == 1
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ishop4u_cli", "--db", url, "db", "upgrade"],
        capture_output=True,
        text=True,
        env={**os.environ, "ISHOP4U_DEBUG": "1"},
        check=False,
    )
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_usage_errors_exit_2():
    r = invoke(["db", "nonsense"])
    assert r.exit_code == 2


def test_opening_a_database_at_head_does_not_import_alembic(tmp_path):
    path = tmp_path / "h.db"
    db.open_database(str(path)).dispose()
    code = (
        "import sys\nfrom ishop4u_cli import db\n"
        f"db.open_database({str(path)!r}).dispose()\n"
        "print('alembic' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.stdout.strip() == "False", proc.stderr
