"""`ishop4u db secure`: two people, each with their own PostgreSQL login role, share one database.

Each uses ishop4u normally through the CLI with their own role's URL; then,
with plain SQL as each role (what `psql` would do), neither reads the other's
cart lines or sessions or anyone's password hash, nor changes the other's
product links, any source, the other's sessions or their own admin flag.

Roles belong to the whole server: the two login roles get names unique to the
run and are dropped at the end, after the test's database. The group role
`ishop4u_users` is the program's fixed name and stays (other databases on the
server may use it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from conftest import PostgresServer, invoke

from ishop4u_cli import secure_sql
from ishop4u_cli.models import SQLModel

PAGE_A = "/pages/store_etsy_mug.html"
PAGE_B = "/pages/jsonld_product.html"
PAGE_SHARED = "/pages/opengraph_product.html"


@dataclass
class Shared:
    server: PostgresServer
    database: str
    owner_url: str
    alice: str  # role names
    bob: str

    def url(self, role: str) -> str:
        from sqlalchemy.engine import make_url

        return (
            make_url(self.owner_url).set(username=role, password=None).render_as_string(hide_password=False)
        )

    def connect(self, role: str | None = None):
        """A plain psycopg connection as ROLE (default: the owner), autocommit."""
        import psycopg
        from sqlalchemy.engine import make_url

        u = make_url(self.owner_url)
        return psycopg.connect(
            host=u.host or "localhost",
            port=u.port or 5432,
            user=role or u.username,
            password=None if role else u.password,
            dbname=self.database,
            autocommit=True,
        )


@pytest.fixture
def shared(postgres_server: PostgresServer) -> Iterator[Shared]:
    """An empty database, migrated by the owner, and two login roles (not yet in the group)."""
    suffix = uuid.uuid4().hex[:10]
    database = f"ishop4u_sec_{suffix}"
    alice, bob = f"ishop4u_t_alice_{suffix}", f"ishop4u_t_bob_{suffix}"
    owner_url = postgres_server.create(database)
    with postgres_server.admin() as conn:
        for role in (alice, bob):
            conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        yield Shared(postgres_server, database, owner_url, alice, bob)
    finally:
        postgres_server.drop(database)
        with postgres_server.admin() as conn:
            for role in (alice, bob):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')


def ok(*args: str, input: str | None = None):
    result = invoke(list(args), input=input)
    assert result.exit_code == 0, result
    return result


def denied(conn, sql: str, params: tuple = ()) -> str:
    """Run SQL, which must fail for want of a privilege (or a policy); the error's first line."""
    import psycopg

    with pytest.raises(psycopg.errors.InsufficientPrivilege) as failure:
        conn.execute(sql, params)
    return str(failure.value).splitlines()[0]


def rows(conn, sql: str, params: tuple = ()) -> list[tuple]:
    return conn.execute(sql, params).fetchall()


def changed(conn, sql: str, params: tuple = ()) -> int:
    return conn.execute(sql, params).rowcount


@pytest.fixture
def secured(shared: Shared, page_server) -> Shared:
    """The owner secures the database and makes the first account (the admin); Alice and Bob, members
    of the group, sign up and fill their carts through the CLI with their own roles' URLs."""
    owner = shared.owner_url
    ok("--db", owner, "db", "upgrade")
    first = ok("--db", owner, "db", "secure")
    assert (
        first.stderr.startswith(f"Secured {shared.owner_url}: the group role {secure_sql.GROUP}")
        and "may use 9 tables, 7 of them row by row (users, affiliate_sources, products," in first.stderr
    )
    with shared.connect() as conn:
        for role in (shared.alice, shared.bob):
            conn.execute(f'GRANT {secure_sql.GROUP} TO "{role}"')
    ok("--db", owner, "user", "add", "Owner", "owner@example.com", "--password-stdin", input="owner-pw-1\n")

    for role, name, page in ((shared.alice, "Alice", PAGE_A), (shared.bob, "Bob", PAGE_B)):
        url = shared.url(role)
        email = f"{name.lower()}@example.com"
        password = f"{name.lower()}-pw-1"
        ok("--db", url, "user", "add", name, email, "--password-stdin", input=password + "\n")
        ok("--db", url, "user", "logout")
        ok("--db", url, "user", "login", email, "--password-stdin", input=password + "\n")
        ok("--db", url, "cart", "add", page_server.url(page), page_server.url(PAGE_SHARED))
        listed = ok("--db", url, "cart", "list")
        assert listed.stdout.count("\n") >= 2
        ok("--db", url, "checkout")
    return shared


def ids(conn) -> dict[str, int]:
    return {email.split("@")[0]: uid for uid, email in rows(conn, "SELECT id, email FROM users")}


def test_each_role_reads_only_its_own_cart_and_sessions(secured: Shared):
    with secured.connect() as owner:
        account = ids(owner)
        lines = dict(rows(owner, "SELECT user_id, count(*) FROM cart_items GROUP BY user_id"))
        assert lines == {account["alice"]: 2, account["bob"]: 2}
        assert {r[0] for r in rows(owner, "SELECT db_role FROM users")} == {
            "postgres" if "postgres@" in secured.owner_url else rows(owner, "SELECT session_user")[0][0],
            secured.alice,
            secured.bob,
        }
    for me, other in ((secured.alice, "bob"), (secured.bob, "alice")):
        mine = "alice" if other == "bob" else "bob"
        with secured.connect(me) as conn:
            assert {r[0] for r in rows(conn, "SELECT user_id FROM cart_items")} == {account[mine]}
            assert rows(conn, "SELECT count(*) FROM cart_items WHERE user_id = %s", (account[other],)) == [
                (0,)
            ]
            assert {r[0] for r in rows(conn, "SELECT user_id FROM sessions")} == {account[mine]}
            # What ishop4u shows everybody stays readable: the catalogue and who is who.
            assert rows(conn, "SELECT count(*) FROM products") == [(3,)]
            assert len(rows(conn, "SELECT id, name, email, is_admin, db_role FROM users")) == 3
            assert rows(conn, "SELECT count(*) FROM price_observations")[0][0] >= 1
            # Not even a line of the other's can be changed or deleted.
            assert (
                changed(conn, "UPDATE cart_items SET quantity = 99 WHERE user_id = %s", (account[other],))
                == 0
            )
            assert changed(conn, "DELETE FROM cart_items WHERE user_id = %s", (account[other],)) == 0
            assert changed(conn, "DELETE FROM sessions WHERE user_id = %s", (account[other],)) == 0
    with secured.connect() as owner:
        assert dict(rows(owner, "SELECT user_id, count(*) FROM cart_items GROUP BY user_id")) == lines
        assert rows(owner, "SELECT count(*) FROM sessions") == [(3,)]
        assert rows(owner, "SELECT max(quantity) FROM cart_items") == [(1,)]


def test_nobody_reads_a_password_hash(secured: Shared):
    with secured.connect() as owner:
        account = ids(owner)
    for me, mine, other in ((secured.alice, "alice", "bob"), (secured.bob, "bob", "alice")):
        with secured.connect(me) as conn:
            assert "permission denied" in denied(conn, "SELECT password_hash FROM users")
            denied(conn, "SELECT * FROM users")
            denied(conn, "SELECT count(*) FROM users WHERE password_hash LIKE '$argon2%%'")
            # The sign-in function hands out the hash of one's own account only.
            (own,) = rows(conn, "SELECT ishop4u_password_hash(%s)", (account[mine],))[0]
            assert own.startswith("$argon2id$")
            assert rows(conn, "SELECT ishop4u_password_hash(%s)", (account[other],)) == [(None,)]
            assert rows(conn, "SELECT ishop4u_password_hash(%s)", (account["owner"],)) == [(None,)]


def test_a_member_signs_in_to_their_own_accounts_only(secured: Shared):
    wrong = invoke(
        ["--db", secured.url(secured.alice), "user", "login", "bob@example.com", "--password-stdin"],
        input="bob-pw-1\n",  # Bob's right password, from Alice's role
    )
    assert (wrong.exit_code, wrong.stderr) == (5, "Error: wrong email or password\n")
    again = invoke(
        ["--db", secured.url(secured.alice), "user", "login", "alice@example.com", "--password-stdin"],
        input="alice-pw-1\n",
    )
    assert again.exit_code == 0, again
    changed_pw = invoke(
        ["--db", secured.url(secured.alice), "user", "passwd", "--password-stdin"],
        input="alice-pw-1\nalice-pw-2\n",
    )
    assert changed_pw.exit_code == 0, changed_pw


def test_no_session_for_another_account_and_no_admin_for_oneself(secured: Shared):
    with secured.connect() as owner:
        account = ids(owner)
    with secured.connect(secured.alice) as conn:
        denied(
            conn,
            "INSERT INTO sessions (user_id, token_hash, last_used_at) VALUES (%s, %s, now())",
            (account["bob"], "b" * 64),
        )
        denied(conn, "UPDATE users SET is_admin = true WHERE id = %s", (account["alice"],))
        # Someone else's account: invisible to UPDATE and DELETE (not an admin).
        assert changed(conn, "UPDATE users SET password_hash = 'x' WHERE id = %s", (account["bob"],)) == 0
        assert (
            changed(conn, "UPDATE users SET db_role = %s WHERE id = %s", (secured.alice, account["bob"])) == 0
        )
        assert changed(conn, "DELETE FROM users WHERE id = %s", (account["bob"],)) == 0
        # A new account: for one's own role only, and never an admin.
        insert = (
            "INSERT INTO users (name, email, password_hash, is_admin, db_role) VALUES (%s, %s, 'h', %s, %s)"
        )
        denied(conn, insert, ("Evil", "evil@example.com", True, secured.alice))
        denied(conn, insert, ("Evil", "evil@example.com", False, secured.bob))
        denied(conn, insert, ("Evil", "evil@example.com", False, None))
        denied(
            conn,
            "INSERT INTO price_watches (user_id, product_id, mark, currency) VALUES (%s, 1, 1, 'USD')",
            (account["bob"],),
        )
    with secured.connect(secured.bob) as conn:
        # A session moved onto Alice's account is refused by the policy's check.
        denied(conn, "UPDATE sessions SET user_id = %s", (account["alice"],))
    with secured.connect() as owner:
        assert rows(owner, "SELECT count(*) FROM sessions WHERE user_id = %s", (account["bob"],)) == [(1,)]
        assert rows(owner, "SELECT email FROM users WHERE is_admin") == [("owner@example.com",)]
        assert rows(owner, "SELECT count(*) FROM users") == [(3,)]


def test_links_belong_to_their_creator_and_sources_to_admins(secured: Shared, page_server):
    with secured.connect() as owner:
        account = ids(owner)
        product = {
            url.rsplit("/", 1)[-1]: (pid, created_by)
            for pid, url, created_by in rows(owner, "SELECT id, canonical_url, created_by FROM products")
        }
        before = rows(owner, "SELECT * FROM products ORDER BY id")
        sources_before = rows(owner, "SELECT * FROM affiliate_sources ORDER BY id")
    bobs, bobs_creator = product["jsonld_product.html"]
    alices, _ = product["store_etsy_mug.html"]
    assert bobs_creator == account["bob"]
    with secured.connect(secured.alice) as conn:
        for column in ("affiliate_link", "canonical_url"):
            message = denied(
                conn, f"UPDATE products SET {column} = 'https://evil.example/x' WHERE id = %s", (bobs,)
            )
            assert "only its creator or an admin" in message
        denied(conn, "UPDATE products SET created_by = %s WHERE id = %s", (account["alice"], bobs))
        denied(conn, "UPDATE products SET edited_by = %s WHERE id = %s", (account["bob"], bobs))
        assert changed(conn, "DELETE FROM products WHERE id = %s", (bobs,)) == 0
        # Sources are the admins': invisible to change, refused to add.
        assert (
            changed(conn, "UPDATE affiliate_sources SET tracking_id = 'alicetag-20', link_template = NULL")
            == 0
        )
        assert changed(conn, "DELETE FROM affiliate_sources") == 0
        denied(conn, "INSERT INTO affiliate_sources (name, base_url) VALUES ('Evil', 'https://evil.example')")
        # Her own product's link is hers; anyone's price and name are open to corrections.
        assert (
            changed(
                conn, "UPDATE products SET affiliate_link = affiliate_link || '?x=1' WHERE id = %s", (alices,)
            )
            == 1
        )
        assert (
            changed(
                conn,
                "UPDATE products SET affiliate_link = replace(affiliate_link, '?x=1', '') WHERE id = %s",
                (alices,),
            )
            == 1
        )
    with secured.connect() as owner:
        assert rows(owner, "SELECT * FROM products ORDER BY id") == before
        assert rows(owner, "SELECT * FROM affiliate_sources ORDER BY id") == sources_before
    # Through the CLI as well: Alice's edit of Bob's price is recorded as hers.
    edit = invoke(["--db", secured.url(secured.alice), "product", "edit", str(bobs), "--price", "1.23"])
    assert edit.exit_code == 0, edit
    with secured.connect() as owner:
        assert (
            rows(owner, "SELECT price, edited_by FROM products WHERE id = %s", (bobs,))[0][1]
            == account["alice"]
        )


def test_an_admin_member_changes_sources_and_makes_admins(secured: Shared):
    with secured.connect() as owner:
        account = ids(owner)
        owner.execute("UPDATE users SET is_admin = true WHERE id = %s", (account["alice"],))
    with secured.connect(secured.alice) as conn:
        assert changed(conn, "UPDATE affiliate_sources SET tracking_id = 'alicetag-20'") >= 1
        assert changed(conn, "UPDATE users SET is_admin = true WHERE id = %s", (account["bob"],)) == 1
        # An admin still cannot take over another's account.
        denied(conn, "UPDATE users SET db_role = %s WHERE id = %s", (secured.alice, account["bob"]))
        denied(conn, "UPDATE users SET password_hash = 'x' WHERE id = %s", (account["bob"],))
    with secured.connect(secured.bob) as conn:
        bobs_admin = conn.execute("SELECT is_admin FROM users WHERE db_role = session_user").fetchone()
        assert bobs_admin == (True,)


def test_secure_again_upgrade_keeps_it_and_a_member_leaves_cleanly(secured: Shared):
    again = ok("--db", secured.owner_url, "db", "secure")
    assert again.stderr.startswith(f"Secured again {secured.owner_url}: ")
    assert f"Members of {secure_sql.GROUP}: " in again.stderr
    with secured.connect() as owner:
        owner.execute(f"REVOKE ALL ON cart_items FROM {secure_sql.GROUP}")  # something gone astray
    broken = invoke(["--db", secured.url(secured.bob), "cart", "list"])
    assert broken.exit_code != 0
    upgraded = ok("--db", secured.owner_url, "db", "upgrade")
    assert "Renewed what db secure set up" in upgraded.stderr
    ok("--db", secured.url(secured.bob), "cart", "list")
    with secured.connect(secured.bob) as conn:
        denied(conn, "SELECT password_hash FROM users")
    # Bob removes his account: his cart and sessions go, his products stay with no creator.
    ok(
        "--db",
        secured.url(secured.bob),
        "user",
        "remove",
        "bob@example.com",
        "--yes",
        "--password-stdin",
        input="bob-pw-1\n",
    )
    with secured.connect() as owner:
        assert rows(owner, "SELECT count(*) FROM users") == [(2,)]
        assert rows(owner, "SELECT count(*) FROM products WHERE created_by IS NULL") == [(1,)]


def test_a_member_cannot_secure_and_sqlite_needs_no_securing(secured: Shared, tmp_path):
    result = invoke(["--db", secured.url(secured.bob), "db", "secure"])
    assert result.exit_code == 1, result
    assert result.stderr.startswith("Error: only the owner of the database's tables (")
    upgrade = invoke(["--db", secured.url(secured.bob), "db", "upgrade"])  # at the newest: nothing to do
    assert upgrade.exit_code == 0, upgrade
    assert upgrade.stderr.startswith("Already at the newest revision") and "Renewed" not in upgrade.stderr
    lite = invoke(["--db", str(tmp_path / "shop.db"), "db", "secure"])
    assert lite.exit_code == 2, lite
    assert "SQLite database is protected by its file's permissions" in lite.stderr


def test_every_table_has_its_rule():
    """A table ishop4u makes must be in secure_sql.TABLES, or members cannot use it after db secure."""
    assert set(SQLModel.metadata.tables) | {"alembic_version"} == set(secure_sql.TABLES)
    # users is granted column by column: every column a member may read, never the hash.
    readable = secure_sql.TABLES["users"][0].split("SELECT (", 1)[1].split(")", 1)[0].split(", ")
    columns = set(SQLModel.metadata.tables["users"].columns.keys())
    assert set(readable) == columns - {"password_hash"}


def test_what_the_database_refuses_a_member_is_exit_10_not_a_database_error(secured: Shared):
    """A refusal by db secure's rules (SQLSTATE 42501) reaches the user as 'not allowed' (10), one line."""
    import sqlalchemy as sa

    from ishop4u_cli.errors import ExitCode, translate

    engine = sa.create_engine(secured.url(secured.bob))
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError) as caught:
            conn.execute(sa.text("SELECT password_hash FROM users"))
    finally:
        engine.dispose()
    error = translate(caught.value)
    assert error is not None and error.exit_code == ExitCode.NOT_ALLOWED
    assert str(error).startswith("the database refused: permission denied") and "\n" not in str(error)
