"""One sign-in session per database: --db and ISHOP4U_DATABASE_URL switch carts without signing in again.

The test's own database (`cli`, on SQLite and PostgreSQL) is paired with a
second SQLite file. The session file of the versions before (`session` in the
state directory) is taken over by the database it was made for.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from conftest import invoke
from sqlalchemy import text

from ishop4u_cli import db, settings
from ishop4u_cli.services import session_files

PW = "secret-pw"
BOB_PW = "bobs-own-pw"


def session_path(target: str) -> Path:
    return session_files.path_for(session_files.database_key(db.to_url(target)))


def add(target: str | None, name: str, email: str, password: str = PW):
    where = ["--db", target] if target else []
    result = invoke([*where, "user", "add", name, email, "--password-stdin"], input=password + "\n")
    assert result.exit_code == 0, result
    return result


def whoami(target: str | None = None, env: dict[str, str] | None = None) -> str | None:
    """The signed-in email for TARGET (--db), or None when nobody is (exit 4)."""
    where = ["--db", target] if target else []
    result = invoke([*where, "user", "whoami", "--json"], env=env)
    if result.exit_code == 4:
        return None
    assert result.exit_code == 0, result
    return json.loads(result.stdout)["email"]


def session_rows(target: str) -> int:
    engine = db.open_database(target)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM sessions")).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def other_db(tmp_path: Path) -> str:
    """A second database: a SQLite file beside the test's own."""
    return str(tmp_path / "other" / "carts.db")


@pytest.fixture
def two_signed_in(cli, other_db) -> tuple[str, str]:
    """Ann signed in to the test's database, Bob to the other one."""
    add(cli.db_url, "Ann", "ann@example.com")
    (Path(other_db).parent).mkdir()
    add(other_db, "Bob", "bob@example.com", BOB_PW)
    return cli.db_url, other_db


# ---------------------------------------------------------------- a session per database


def test_each_database_keeps_its_own_session(two_signed_in):
    mine, other = two_signed_in
    assert whoami(mine) == "ann@example.com"  # Bob's sign-in elsewhere did not sign Ann out
    assert whoami(other) == "bob@example.com"
    # The environment variable picks the database as --db does, and its session with it.
    assert whoami(env={"ISHOP4U_DATABASE_URL": mine}) == "ann@example.com"
    assert whoami(env={"ISHOP4U_DATABASE_URL": other}) == "bob@example.com"
    assert whoami(other, env={"ISHOP4U_DATABASE_URL": mine}) == "bob@example.com"  # --db first
    assert session_path(mine) != session_path(other)


def test_session_files_are_private_and_hold_no_password(two_signed_in):
    files = sorted(session_files.sessions_dir().iterdir())
    assert files == sorted([session_path(t) for t in two_signed_in])
    for path in files:
        content = path.read_text()
        assert PW not in content and BOB_PW not in content
        assert set(json.loads(content)) == {"version", "database", "token", "user_id", "email"}
        if sys.platform != "win32":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if sys.platform != "win32":
        assert stat.S_IMODE(session_files.sessions_dir().stat().st_mode) == 0o700


def test_the_key_is_the_url_without_its_password(tmp_path, monkeypatch):
    key = session_files.database_key("postgresql+psycopg://ann:s3cret@db.example:5432/carts")
    assert key == "postgresql+psycopg://ann@db.example:5432/carts"
    same = session_files.database_key("postgresql+psycopg://ann:other@db.example:5432/carts")
    assert same == key  # a changed password is the same database
    assert session_files.database_key(db.to_url("postgres://ann@db.example:5432/carts")) == key
    # A password given as a query parameter is left out too; other parameters stay.
    in_query = "postgresql+psycopg://ann@db.example:5432/carts?password=s3cret&sslmode=require"
    assert session_files.database_key(in_query) == key + "?sslmode=require"
    # A SQLite file by any path that leads to it.
    monkeypatch.chdir(tmp_path)
    absolute = session_files.database_key(db.to_url(str(tmp_path / "a.db")))
    assert session_files.database_key(db.to_url("a.db")) == absolute
    assert session_files.database_key(f"sqlite:///{tmp_path}/./a.db") == absolute
    path = session_files.write(key, "t" * 43, user_id=1, email="ann@example.com")
    assert "s3cret" not in path.read_text()
    assert path == session_files.path_for(key)


def test_a_file_opened_read_only_keeps_its_key(tmp_path):
    """db.py opens a file it cannot write through a read-only URI: the same database, the same session."""
    path = tmp_path / "my shop.db"
    plain = session_files.database_key(db.to_url(str(path)))
    read_only = f"sqlite:///file:{tmp_path}/my%20shop.db?mode=ro&immutable=1&uri=true"
    assert session_files.database_key(read_only) == plain == f"sqlite:///{path.resolve()}"


def test_logout_ends_the_session_of_this_database_only(two_signed_in):
    mine, other = two_signed_in
    result = invoke(["--db", other, "user", "logout"])
    assert result.exit_code == 0, result
    assert result.stderr == "Signed out Bob <bob@example.com>.\n"
    assert whoami(other) is None
    assert session_rows(other) == 0
    assert whoami(mine) == "ann@example.com"
    assert session_rows(mine) == 1


def test_logout_all_ends_every_session_on_this_machine(two_signed_in):
    mine, other = two_signed_in
    result = invoke(["--db", mine, "user", "logout", "--all"])
    assert result.exit_code == 0, result
    assert result.stderr == (
        "Signed out Ann <ann@example.com>.\nSigned out of 1 other database on this machine.\n"
    )
    assert session_rows(mine) == 0  # ended in the database it was run on
    assert whoami(mine) is None
    assert whoami(other) is None  # the other database's token is gone from this machine
    assert list(session_files.sessions_dir().iterdir()) == []
    again = invoke(["--db", mine, "user", "logout", "--all"])
    assert again.stderr == "Not signed in; nothing to do.\n"


def test_logout_all_when_this_database_has_no_session(two_signed_in, tmp_path):
    third = str(tmp_path / "other" / "third.db")
    result = invoke(["--db", third, "user", "logout", "--all"])
    assert result.exit_code == 0, result
    assert result.stderr == "Signed out of 2 other databases on this machine.\n"
    assert [whoami(t) for t in two_signed_in] == [None, None]


def test_login_on_one_database_leaves_the_other_signed_in(two_signed_in):
    mine, other = two_signed_in
    add(other, "Ann", "ann@example.com")  # Bob stays signed in there: someone already is
    result = invoke(["--db", other, "user", "login", "ann@example.com", "--password-stdin"], input=PW + "\n")
    assert result.exit_code == 0, result
    assert whoami(other) == "ann@example.com"
    assert whoami(mine) == "ann@example.com"
    assert session_rows(mine) == 1


# ---------------------------------------------------------------- the session file of earlier versions


def make_legacy(target: str) -> dict:
    """Turn TARGET's session file into the single `session` file earlier versions wrote."""
    per_db = session_path(target)
    data = json.loads(per_db.read_text())
    legacy = {"version": 1, "token": data["token"], "user_id": data["user_id"], "email": data["email"]}
    settings.session_path().parent.mkdir(parents=True, exist_ok=True)
    settings.session_path().write_text(json.dumps(legacy))
    settings.session_path().chmod(0o600)
    per_db.unlink()
    return legacy


def test_the_old_session_file_is_taken_over_by_its_database(two_signed_in):
    mine, other = two_signed_in
    legacy = make_legacy(mine)
    assert whoami(other) == "bob@example.com"  # the other database does not take it
    assert settings.session_path().exists()
    assert whoami(mine) == "ann@example.com"  # nobody is signed out by the upgrade
    assert not settings.session_path().exists()
    assert json.loads(session_path(mine).read_text())["token"] == legacy["token"]
    if sys.platform != "win32":
        assert stat.S_IMODE(session_path(mine).stat().st_mode) == 0o600
    assert whoami(mine) == "ann@example.com"


def test_a_database_that_does_not_know_the_old_token_leaves_it(cli, other_db):
    add(cli.db_url, "Ann", "ann@example.com")
    make_legacy(cli.db_url)
    Path(other_db).parent.mkdir()
    result = invoke(["--db", other_db, "user", "whoami"])
    assert result.exit_code == 4
    assert result.stderr.startswith("Error: not signed in; run:")  # not "the session has ended"
    assert settings.session_path().exists()
    assert whoami(cli.db_url) == "ann@example.com"


def test_logout_takes_over_and_ends_the_old_session(cli):
    add(cli.db_url, "Ann", "ann@example.com")
    make_legacy(cli.db_url)
    result = cli("user", "logout")
    assert result.stderr == "Signed out Ann <ann@example.com>.\n"
    assert not settings.session_path().exists()
    assert session_rows(cli.db_url) == 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_default_database_takes_the_old_file_over(cli):
    add(None, "Ann", "ann@example.com")  # no --db: the default database in the test's HOME
    default = str(settings.default_database_path())
    legacy = make_legacy(default)
    assert whoami() == "ann@example.com"
    assert not settings.session_path().exists()
    assert json.loads(session_path(default).read_text())["token"] == legacy["token"]
    # An old file that no database knows any more reads, on the default database, as an ended session.
    make_legacy(default)
    invoke(["user", "logout"])  # ends it
    settings.session_path().write_text(json.dumps(legacy))
    result = invoke(["user", "whoami"])
    assert result.exit_code == 4
    assert "has ended" in result.stderr
