"""Shell completion of ids, stores and emails, driven as the shells drive it: environment variables
and a real process (bash's COMP_WORDS/COMP_CWORD, zsh's and fish's _TYPER_COMPLETE_ARGS), on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
import os
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import invoke

from ishop4u_cli import completion, db
from ishop4u_cli.services import session_files

MUG = '[sale] mug: "big" $5'  # markup, quotes, a colon and a dollar: shown as it is


def complete(words: list[str], shell: str = "bash", env: dict[str, str] | None = None) -> tuple[str, str]:
    """What `ishop4u WORDS<TAB>` offers in SHELL (the last word is the one being completed)."""
    line = " ".join(shlex.quote(w) for w in words[:-1]) + " " + words[-1]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("COMP_", "_TYPER", "_ISHOP4U"))}
    full_env.update(env or {})
    if shell == "bash":
        full_env.update(_ISHOP4U_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(len(words) - 1))
    else:
        full_env.update(_ISHOP4U_COMPLETE=f"complete_{shell}", _TYPER_COMPLETE_ARGS=line)
        if shell == "fish":
            full_env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    proc = subprocess.run(
        [sys.executable, "-m", "ishop4u_cli"],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc
    assert proc.stderr == "", proc.stderr  # nothing ever reaches the shell's screen but the answer
    return proc.stdout, proc.stderr


def values(words: list[str], **kw) -> list[str]:
    return complete(words, **kw)[0].split()


@pytest.fixture
def shop(cli):
    """Ann (signed in) with products 1 and 3 in her cart; Bob has an account; 3 products."""
    for name, email in (("Ann", "ann@example.com"), ("Bob", "bob@example.com")):
        r = cli("user", "add", name, email, "--password-stdin", input="secret-pw-123\n")
        assert r.exit_code == 0, r
    for url, name in (
        ("https://www.amazon.com/dp/B0C1234567", "Blue Mug"),
        ("https://shop.example/products/mug", MUG),
        ("https://www.etsy.com/listing/1234567890/lamp", "Red Lamp"),
    ):
        r = cli("product", "add", url, "--name", name, "--price", "5", "--no-fetch")
        assert r.exit_code == 0, r
    r = cli("cart", "add", "1", "3")
    assert r.exit_code == 0, r
    return cli.db_url


def test_product_ids(shop):
    for words in (
        ["ishop4u", "--db", shop, "product", "show", ""],
        ["ishop4u", "--db", shop, "product", "edit", ""],
        ["ishop4u", "--db", shop, "product", "remove", ""],
        ["ishop4u", "--db", shop, "cart", "add", ""],
        ["ishop4u", "--db", shop, "cart", "add", "1", ""],
    ):
        assert values(words) == ["1", "2", "3"], words
    assert values(["ishop4u", "--db", shop, "product", "show", "2"]) == ["2"]
    assert values(["ishop4u", "--db", shop, "cart", "add", "https://shop"]) == []  # a URL: no ids


def test_product_names_as_descriptions_in_zsh_and_fish(shop):
    zsh, _ = complete(["ishop4u", "--db", shop, "product", "show", ""], shell="zsh")
    assert zsh == (
        '_arguments \'*: :(("1":"Blue Mug"\n"2":"[sale] mug\\\\: ""big"" \\$5"\n"3":"Red Lamp"))\'\n'
    )
    fish, _ = complete(["ishop4u", "--db", shop, "product", "show", ""], shell="fish")
    assert fish == f"1\tBlue Mug\n2\t{MUG}\n3\tRed Lamp\n"


def test_cart_ids_are_the_signed_in_users(shop):
    for command in ("update", "remove"):
        assert values(["ishop4u", "--db", shop, "cart", command, ""]) == ["1", "3"]
    fish, _ = complete(["ishop4u", "--db", shop, "cart", "update", ""], shell="fish")
    assert fish == "1\tBlue Mug (x1)\n3\tRed Lamp (x1)\n"
    # Bob signs in: his cart is empty.
    r = invoke(
        ["--db", shop, "user", "login", "bob@example.com", "--password-stdin"], input="secret-pw-123\n"
    )
    assert r.exit_code == 0, r
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == []


def test_store_names_and_api_names(shop):
    names = [("Amazon", "amazon"), ("AliExpress", "aliexpress"), ("eBay", "ebay"), ("Walmart", "walmart")]
    stores = [store for pair in [*names, ("Etsy", "etsy")] for store in pair]  # each name, then its api name
    for words in (
        ["cart", "list", "--source", ""],
        ["cart", "clear", "--source", ""],
        ["product", "list", "--source", ""],
        ["product", "add", "https://x.example/p", "--source", ""],
        ["product", "edit", "1", "--source", ""],
        ["source", "show", ""],
        ["source", "edit", ""],
        ["source", "remove", ""],
    ):
        assert values(["ishop4u", "--db", shop, *words]) == stores, words
    for words in (["checkout", "done", ""], ["checkout", "--source", ""]):
        assert values(["ishop4u", "--db", shop, *words]) == [*stores, "other"], words
    assert values(["ishop4u", "--db", shop, "checkout", "done", "e"]) == ["eBay", "ebay", "etsy"]
    fish, _ = complete(["ishop4u", "--db", shop, "checkout", "done", "Am"], shell="fish")
    assert fish == "Amazon\thttps://www.amazon.com\n"


def test_user_emails(shop):
    emails = ["ann@example.com", "bob@example.com"]
    for command in ("login", "remove"):
        assert values(["ishop4u", "--db", shop, "user", command, ""]) == emails
    fish, _ = complete(["ishop4u", "--db", shop, "user", "login", "b"], shell="fish")
    assert fish == "bob@example.com\tBob\n"


def test_the_database_from_the_environment(shop):
    env = {"ISHOP4U_DATABASE_URL": shop}
    assert values(["ishop4u", "cart", "update", ""], env=env) == ["1", "3"]


def test_nothing_for_the_cart_when_nobody_is_signed_in(shop):
    r = invoke(["--db", shop, "user", "logout"])
    assert r.exit_code == 0, r
    for shell in ("bash", "fish"):
        assert complete(["ishop4u", "--db", shop, "cart", "update", ""], shell=shell)[0].strip() == ""
    # The catalogue and the accounts need no one signed in.
    assert values(["ishop4u", "--db", shop, "product", "show", ""]) == ["1", "2", "3"]
    assert values(["ishop4u", "--db", shop, "user", "login", ""]) == ["ann@example.com", "bob@example.com"]


def test_nothing_for_a_session_that_does_not_check_out(shop):
    key = completion._session_key(db.to_url(shop))
    path = session_files.path_for(key)
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "user_id": data["user_id"] + 1}))  # edited to name Bob
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == []
    path.write_text("not json")
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == []


def test_nothing_for_the_cart_of_an_expired_session(shop, engine):
    """auth's rule: unused for longer than $ISHOP4U_SESSION_DAYS (30 by default) is signed out."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    def unused_for(days: int) -> None:
        used = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=days)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE sessions SET last_used_at = :used"), {"used": used})

    unused_for(29)
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == ["1", "3"]
    assert values(["ishop4u", "--db", shop, "cart", "update", ""], env={"ISHOP4U_SESSION_DAYS": "28"}) == []
    unused_for(31)
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == []
    assert values(["ishop4u", "--db", shop, "cart", "update", ""], env={"ISHOP4U_SESSION_DAYS": "32"}) == [
        "1",
        "3",
    ]
    assert values(["ishop4u", "--db", shop, "cart", "update", ""], env={"ISHOP4U_SESSION_DAYS": "x"}) == []
    with engine.connect() as conn:  # completion only reads: the expired row is the next command's to delete
        assert conn.execute(sa.text("SELECT count(*) FROM sessions")).scalar() == 1
    assert values(["ishop4u", "--db", shop, "product", "show", ""]) == ["1", "2", "3"]  # no one needed


def test_nothing_when_not_at_the_newest_revision_and_never_migrates(shop, engine):
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0004'"))
    for words in (["product", "show", ""], ["cart", "update", ""], ["user", "login", ""]):
        assert values(["ishop4u", "--db", shop, *words]) == [], words
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0004"


def test_sqlite_missing_database_is_not_created(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "nothing-here.db"
    assert values(["ishop4u", "--db", str(target), "product", "show", ""]) == []
    assert values(["ishop4u", "--db", str(target), "user", "login", ""]) == []
    assert list(target.parent.iterdir()) == []  # no database made, no side files


def test_sqlite_old_schema_and_damaged_file(tmp_path):
    from migration_helpers import upgrade_to

    old = tmp_path / "old.db"
    upgrade_to(str(old), "0001")
    with sqlite3.connect(old) as conn:
        conn.execute("INSERT INTO products (name, affiliate_link) VALUES ('Mug', 'https://shop.example/m')")
    assert values(["ishop4u", "--db", str(old), "product", "show", ""]) == []
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is not a database" * 100)
    assert values(["ishop4u", "--db", str(damaged), "product", "show", ""]) == []


def test_sqlite_reads_without_writing(shop, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only: the file's own bytes")
    path = Path(shop)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.read_bytes()
    assert values(["ishop4u", "--db", shop, "cart", "update", ""]) == ["1", "3"]
    assert path.read_bytes() == before
    wal = Path(f"{shop}-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # nothing written beside it either


def test_commands_and_options_complete_too(shop):
    assert values(["ishop4u", "c"]) == ["cart", "checkout"]
    assert values(["ishop4u", "cart", ""]) == ["add", "list", "update", "remove", "clear", "export", "import"]
    zsh, _ = complete(["ishop4u", "cart", "up"], shell="zsh")
    assert zsh == '_arguments \'*: :(("update":"Set the quantity or the notes of a product..."))\'\n'
    assert "--qty" in values(["ishop4u", "--db", shop, "cart", "update", "1", "--"])


def test_the_session_key_is_session_files_own(tmp_path, monkeypatch):
    """completion computes SQLite's key without SQLAlchemy; it must be the one sign-in writes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    for target in ("rel.db", str(tmp_path / "link" / "a.db"), "~/home.db", "sqlite:///rel2.db"):
        url = db.to_url(target)
        assert completion._session_key(url) == session_files.database_key(url), target


def test_postgres_that_does_not_answer_gives_nothing_quickly():
    """A server that accepts connections and never answers: nothing, well before the connect timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # never accepted: the handshake waits forever
        port = listener.getsockname()[1]
        url = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none?connect_timeout=30"
        start = time.monotonic()
        assert values(["ishop4u", "--db", url, "product", "show", ""]) == []
        # The budget is about a second; start-up (SQLAlchemy's import on PostgreSQL) comes on top.
        assert time.monotonic() - start < 8


@pytest.mark.postgres
def test_postgres_locked_table_gives_nothing(shop, backend, postgres_server):
    if backend != "postgres":
        pytest.skip("PostgreSQL only: a table lock")
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(shop)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, dbname=u.database) as conn:
        conn.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")  # held until the block ends
        start = time.monotonic()
        assert values(["ishop4u", "--db", shop, "product", "show", ""]) == []
        assert time.monotonic() - start < 8
    assert values(["ishop4u", "--db", shop, "product", "show", ""]) == ["1", "2", "3"]
