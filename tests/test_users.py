"""Accounts and sign-in, through the CLI, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from terminal import run_at_terminal

from ishop4u_cli import settings

PW = "secret-pw"
BOB_PW = "bobs-own-pw"


# ---------------------------------------------------------------- helpers


def add(cli, name: str, email: str, password: str = PW):
    return cli("user", "add", name, email, "--password-stdin", input=password + "\n")


def login(cli, email: str, password: str = PW):
    return cli("user", "login", email, "--password-stdin", input=password + "\n")


def session_file(cli) -> Path:
    """The session file of the test's database on this machine."""
    from ishop4u_cli import db
    from ishop4u_cli.services import session_files

    return session_files.path_for(session_files.database_key(db.to_url(cli.db_url)))


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def execute(engine, sql: str, **params) -> None:
    with engine.begin() as conn:
        conn.execute(text(sql), params)


def stored_hash(engine, email: str) -> str:
    return scalar(engine, "SELECT password_hash FROM users WHERE email = :e", e=email)


def user_id(engine, email: str) -> int:
    return scalar(engine, "SELECT id FROM users WHERE email = :e", e=email)


def insert_user(engine, name: str, email: str, password_hash: str) -> None:
    execute(
        engine,
        "INSERT INTO users (name, email, password_hash) VALUES (:n, :e, :h)",
        n=name,
        e=email,
        h=password_hash,
    )


def whoami_json(cli) -> dict:
    result = cli("user", "whoami", "--json")
    assert result.exit_code == 0, result
    return json.loads(result.stdout)


def assert_not_signed_in(result) -> None:
    assert result.exit_code == 4, result
    assert result.stderr.startswith("Error: not signed in")
    assert "ishop4u user login" in result.stderr
    assert result.stdout == ""


def assert_no_secret(result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout
        assert secret not in result.stderr


def cart_list(cli):
    """`ishop4u cart list --json`, or a skip while the cart commands are not there yet."""
    result = cli("cart", "list", "--json")
    if result.exit_code == 2 and "No such command" in result.stderr:
        pytest.skip("the cart commands are not there yet")
    return result


# ---------------------------------------------------------------- user add


def test_add_creates_the_user_and_signs_in_when_nobody_is(cli):
    result = add(cli, "  Ann  ", "Ann@Example.com")
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert result.stderr == (
        "Created user Ann <ann@example.com> (id 1), an admin.\nSigned in as Ann <ann@example.com>.\n"
    )
    assert_no_secret(result, PW)
    me = whoami_json(cli)
    assert set(me) == {"id", "name", "email", "created_at", "is_admin"}
    assert (me["id"], me["name"], me["email"], me["is_admin"]) == (1, "Ann", "ann@example.com", True)
    assert me["created_at"]
    text_result = cli("user", "whoami")
    assert text_result.stdout == "Ann <ann@example.com> (id 1)\n"


def test_add_keeps_whoever_is_signed_in(cli):
    add(cli, "Ann", "ann@example.com")
    result = add(cli, "Bob", "bob@example.com", BOB_PW)
    assert result.exit_code == 0, result
    assert "Still signed in as Ann <ann@example.com>" in result.stderr
    assert "ishop4u user login bob@example.com" in result.stderr
    assert whoami_json(cli)["email"] == "ann@example.com"


def test_duplicate_email_in_another_case_is_a_conflict(cli, engine):
    add(cli, "Ann", "ann@example.com")
    result = add(cli, "Other Ann", "ANN@Example.COM")
    assert result.exit_code == 6, result
    assert result.stderr == "Error: a user with the email ann@example.com already exists\n"
    assert scalar(engine, "SELECT count(*) FROM users") == 1


def test_an_adopted_mixed_case_email_is_the_same_account(cli, engine):
    from werkzeug.security import generate_password_hash

    insert_user(engine, "Ann", "Ann@Example.com", generate_password_hash(PW, method="pbkdf2:sha256:1000"))
    assert add(cli, "Ann again", "ann@example.com").exit_code == 6
    assert login(cli, "ANN@example.com").exit_code == 0
    assert whoami_json(cli)["name"] == "Ann"


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("Ann", "ann.example.com", "not an email address: 'ann.example.com'"),
        ("Ann", "ann@@example.com", "not an email address"),
        ("Ann", "ann@example", "not an email address"),
        ("Ann", "ann smith@example.com", "not an email address"),
        ("Ann", "ann@example..com", "not an email address"),
        ("Ann", "@example.com", "not an email address"),
        ("Ann", "", "the email address is empty"),
        ("Ann", "a" * 139 + "@example.com", "the email address is too long: 151 characters (at most 150)"),
        ("   ", "ann@example.com", "the name is empty"),
        ("A" * 101, "ann@example.com", "the name is too long: 101 characters (at most 100)"),
        ("Ann\nSmith", "ann@example.com", "the name cannot contain control characters"),
    ],
)
def test_bad_names_and_emails_are_usage_errors(cli, engine, name, email, message):
    result = add(cli, name, email)
    assert result.exit_code == 2, result
    assert result.stderr.startswith(f"Error: {message}")
    assert result.stderr.count("\n") == 1
    assert scalar(engine, "SELECT count(*) FROM users") == 0


def test_limits_are_inclusive(cli):
    email = "a" * 138 + "@example.com"  # 150 characters
    assert add(cli, "B" * 100, email).exit_code == 0
    assert whoami_json(cli)["email"] == email


def test_short_password_is_refused_without_echoing_it(cli, engine):
    result = add(cli, "Ann", "ann@example.com", "hunter2")
    assert result.exit_code == 2, result
    assert result.stderr == "Error: the password is too short: use at least 8 characters\n"
    assert_no_secret(result, "hunter2")
    assert scalar(engine, "SELECT count(*) FROM users") == 0
    empty = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="\n")
    assert empty.exit_code == 2
    assert "no password on stdin" in empty.stderr


def test_password_stdin_strips_only_one_trailing_newline(cli):
    password = "  spaced pw  "
    assert (
        cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input=password + "\r\n").exit_code
        == 0
    )
    cli("user", "logout")
    assert cli("user", "login", "ann@example.com", "--password-stdin", input=password).exit_code == 0
    stripped = cli("user", "login", "ann@example.com", "--password-stdin", input="spaced pw\n")
    assert stripped.exit_code == 5
    extra_newline = cli("user", "login", "ann@example.com", "--password-stdin", input=password + "\n\n")
    assert extra_newline.exit_code == 5


def test_no_option_takes_a_password_value(cli):
    for command in ("add", "login", "passwd", "remove"):
        result = cli("user", command, "--help")
        assert result.exit_code == 0
        options = set(re.findall(r"--[a-z][a-z-]*[a-z]", result.stdout))
        assert {o for o in options if "password" in o} == {"--password-stdin"}, options
    assert cli("user", "login", "ann@example.com", "--password", PW).exit_code == 2


# ---------------------------------------------------------------- login


def test_wrong_password_fails_and_writes_nothing(cli, engine):
    add(cli, "Ann", "ann@example.com")
    cli("user", "logout")
    before = stored_hash(engine, "ann@example.com")
    result = login(cli, "ann@example.com", "not-the-pw")
    assert result.exit_code == 5, result
    assert result.stderr == "Error: wrong email or password\n"
    assert result.stdout == ""
    assert_no_secret(result, "not-the-pw")
    assert not session_file(cli).exists()
    assert scalar(engine, "SELECT count(*) FROM sessions") == 0
    assert stored_hash(engine, "ann@example.com") == before


def test_unknown_email_gives_the_same_answer(cli):
    add(cli, "Ann", "ann@example.com")
    result = login(cli, "nobody@example.com")
    assert result.exit_code == 5
    assert result.stderr == "Error: wrong email or password\n"
    assert whoami_json(cli)["email"] == "ann@example.com"  # the old session is untouched


def test_session_file_is_private_and_holds_no_password(cli, engine):
    add(cli, "Ann", "ann@example.com")
    path = session_file(cli)
    assert path.parent.parent == settings.state_dir()
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_IMODE(settings.state_dir().stat().st_mode) == 0o700
    content = path.read_text()
    assert PW not in content
    token = json.loads(content)["token"]
    assert scalar(engine, "SELECT token_hash FROM sessions") == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(scalar(engine, "SELECT token_hash FROM sessions"))
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


def test_login_again_replaces_the_session(cli, engine):
    add(cli, "Ann", "ann@example.com")
    first = session_file(cli).read_text()
    assert login(cli, "ann@example.com").exit_code == 0
    assert session_file(cli).read_text() != first
    assert scalar(engine, "SELECT count(*) FROM sessions") == 1


# The seed's formats, at fewer pbkdf2 iterations than Werkzeug's default (1,000,000) to keep tests fast.
@pytest.mark.parametrize("method", ["pbkdf2:sha256:10000", "scrypt"])
def test_werkzeug_hash_is_upgraded_on_login(cli, engine, method):
    from werkzeug.security import generate_password_hash

    legacy = generate_password_hash(PW, method=method)
    assert legacy.startswith(method.split(":")[0] + ":")
    insert_user(engine, "Seed User", "seed@example.com", legacy)
    assert login(cli, "seed@example.com", "wrong-pw").exit_code == 5
    assert stored_hash(engine, "seed@example.com") == legacy
    result = login(cli, "seed@example.com")
    assert result.exit_code == 0, result
    assert result.stderr == "Signed in as Seed User <seed@example.com>.\n"
    upgraded = stored_hash(engine, "seed@example.com")
    assert upgraded.startswith("$argon2id$")
    cli("user", "logout")
    assert login(cli, "seed@example.com").exit_code == 0
    assert stored_hash(engine, "seed@example.com") == upgraded  # no rehash when current


def test_argon2_hash_with_old_parameters_is_rehashed_on_login(cli, engine):
    from argon2 import PasswordHasher, Type

    from ishop4u_cli.services import passwords

    old = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1, type=Type.I).hash(PW)
    insert_user(engine, "Old", "old@example.com", old)
    assert login(cli, "old@example.com").exit_code == 0
    new = stored_hash(engine, "old@example.com")
    assert new != old and new.startswith("$argon2id$")
    assert not passwords.hasher().check_needs_rehash(new)


def test_unknown_hash_format_cannot_sign_in(cli, engine):
    insert_user(engine, "Odd", "odd@example.com", "md5$abc$def")
    result = login(cli, "odd@example.com")
    assert result.exit_code == 5
    assert result.stderr == "Error: wrong email or password\n"


def test_production_hasher_is_argon2id_at_rfc9106_parameters(monkeypatch):
    from ishop4u_cli.services import passwords

    monkeypatch.delenv(passwords.ENV_FAST_HASHING)
    params = passwords.hasher()
    # OWASP's minimum for Argon2id is m=19 MiB, t=2, p=1; RFC 9106 low-memory is m=64 MiB, t=3, p=4.
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert params.type.name == "ID"


# ---------------------------------------------------------------- sessions that do not check out


def test_forged_session_file_naming_another_user(cli, engine):
    add(cli, "Ann", "ann@example.com")
    ann_file = session_file(cli).read_text()
    add(cli, "Bob", "bob@example.com", BOB_PW)
    assert login(cli, "bob@example.com", BOB_PW).exit_code == 0
    bob = json.loads(session_file(cli).read_text())
    ann_id = user_id(engine, "ann@example.com")

    # Bob's token, edited to name Ann.
    session_file(cli).write_text(json.dumps({**bob, "user_id": ann_id, "email": "ann@example.com"}))
    assert_not_signed_in(cli("user", "whoami"))
    # Ann's old token: replaced by Bob's sign-in on this machine, so no longer valid.
    session_file(cli).write_text(ann_file)
    assert_not_signed_in(cli("user", "whoami"))
    # A made-up token.
    session_file(cli).write_text(json.dumps({**bob, "token": "A" * 43}))
    assert_not_signed_in(cli("user", "whoami"))
    # Not a session file at all.
    session_file(cli).write_text("garbage\n")
    assert_not_signed_in(cli("user", "whoami"))
    # Bob's real file still works.
    session_file(cli).write_text(json.dumps(bob))
    assert whoami_json(cli)["email"] == "bob@example.com"


def test_removed_users_session_is_not_signed_in(cli, engine):
    add(cli, "Ann", "ann@example.com")
    execute(engine, "DELETE FROM users WHERE email = 'ann@example.com'")  # from another machine
    assert scalar(engine, "SELECT count(*) FROM sessions") == 0  # ON DELETE CASCADE
    assert_not_signed_in(cli("user", "whoami"))


def test_logout_ends_the_session(cli, engine):
    add(cli, "Ann", "ann@example.com")
    saved = session_file(cli).read_text()
    result = cli("user", "logout")
    assert result.exit_code == 0
    assert result.stderr == "Signed out Ann <ann@example.com>.\n"
    assert not session_file(cli).exists()
    assert scalar(engine, "SELECT count(*) FROM sessions") == 0
    assert_not_signed_in(cli("user", "whoami"))
    assert_not_signed_in(cli("user", "whoami", "--json"))
    # A copy of the old file is worth nothing now.
    session_file(cli).write_text(saved)
    assert_not_signed_in(cli("user", "whoami"))
    assert cli("user", "logout").stderr == "Signed out (the session had already ended).\n"
    assert cli("user", "logout").stderr == "Not signed in; nothing to do.\n"


def test_logout_then_a_cart_command_is_not_signed_in(cli):
    add(cli, "Ann", "ann@example.com")
    cli("user", "logout")
    assert_not_signed_in(cart_list(cli))


def test_whoami_without_any_session(cli):
    result = cli("user", "whoami")
    assert_not_signed_in(result)
    assert "ishop4u user add NAME EMAIL" in result.stderr


# ---------------------------------------------------------------- no terminal, no hang


@pytest.mark.parametrize(
    "args",
    [
        ["user", "login", "x@y.z"],
        ["user", "add", "Ann", "ann@example.com"],
        ["user", "passwd"],
        ["user", "remove", "x@y.z", "--yes"],
    ],
)
def test_no_prompt_without_a_terminal(run_ishop4u, tmp_path, args):
    # stdin is an empty pipe: a prompt would read EOF or wait; the command must refuse at once.
    result = run_ishop4u("--db", str(tmp_path / "x.db"), *args, input="", timeout=30)
    assert result.exit_code == 2, result
    assert "--password-stdin" in result.stderr
    assert result.stderr.startswith("Error: ")


def test_remove_without_yes_and_without_a_terminal_is_refused(cli, engine):
    add(cli, "Ann", "ann@example.com")
    result = cli("user", "remove", "ann@example.com", "--password-stdin", input=PW + "\n")
    assert result.exit_code == 2, result
    assert "--yes" in result.stderr
    assert scalar(engine, "SELECT count(*) FROM users") == 1


def test_login_through_the_installed_program(run_ishop4u, tmp_path):
    db = str(tmp_path / "p.db")
    added = run_ishop4u(
        "--db", db, "user", "add", "Ann", "ann@example.com", "--password-stdin", input=PW + "\n"
    )
    assert added.exit_code == 0, added
    result = run_ishop4u("--db", db, "user", "login", "ann@example.com", "--password-stdin", input=PW + "\n")
    assert result.exit_code == 0, result
    who = run_ishop4u("--db", db, "user", "whoami")
    assert who.stdout == "Ann <ann@example.com> (id 1)\n"


# ---------------------------------------------------------------- list


def test_list_needs_a_signed_in_user_and_shows_no_hashes(cli):
    for args in (["user", "list"], ["user", "list", "--json"]):
        nobody = cli(*args)
        assert nobody.exit_code == 4, nobody
        assert nobody.stdout == ""
        assert "ishop4u user login" in nobody.stderr

    add(cli, "Ann [sale]", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    result = cli("user", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "Name", "Email", "Admin", "Created"]
    assert lines[2].split()[-2] == "admin" and "admin" not in lines[3]
    assert "Ann [sale]" in result.stdout and "bob@example.com" in result.stdout
    assert "argon2" not in result.stdout
    docs = json.loads(cli("user", "list", "--json").stdout)
    assert [(d["id"], d["name"], d["email"], d["is_admin"]) for d in docs] == [
        (1, "Ann [sale]", "ann@example.com", True),
        (2, "Bob", "bob@example.com", False),
    ]
    assert all(set(d) == {"id", "name", "email", "created_at", "is_admin"} for d in docs)
    cli("user", "logout")
    assert cli("user", "list").exit_code == 4


# ---------------------------------------------------------------- passwd


def test_passwd_changes_the_password(cli, engine):
    add(cli, "Ann", "ann@example.com")
    ann = user_id(engine, "ann@example.com")
    execute(engine, "INSERT INTO sessions (user_id, token_hash) VALUES (:u, :h)", u=ann, h="f" * 64)

    wrong = cli("user", "passwd", "--password-stdin", input="not-the-pw\nnew-password\n")
    assert wrong.exit_code == 5
    assert wrong.stderr == "Error: wrong password\n"
    assert_no_secret(wrong, "not-the-pw", "new-password")

    short = cli("user", "passwd", "--password-stdin", input=f"{PW}\nshort\n")
    assert short.exit_code == 2
    one_line = cli("user", "passwd", "--password-stdin", input=f"{PW}\n")
    assert one_line.exit_code == 2
    assert "two lines" in one_line.stderr

    result = cli("user", "passwd", "--password-stdin", input=f"{PW}\r\nnew-password\r\n")
    assert result.exit_code == 0, result
    assert result.stderr == (
        "Changed the password of Ann <ann@example.com>.\nSigned out 1 other session of this account.\n"
    )
    assert_no_secret(result, PW, "new-password")
    assert whoami_json(cli)["email"] == "ann@example.com"  # this machine stays signed in
    assert scalar(engine, "SELECT count(*) FROM sessions") == 1
    assert login(cli, "ann@example.com").exit_code == 5
    assert login(cli, "ann@example.com", "new-password").exit_code == 0


def test_passwd_needs_a_signed_in_user(cli):
    result = cli("user", "passwd", "--password-stdin", input=f"{PW}\nnew-password\n")
    assert_not_signed_in(result)


# ---------------------------------------------------------------- remove


def add_cart_items(engine, email: str, count: int) -> None:
    uid = user_id(engine, email)
    for n in range(count):
        execute(
            engine,
            "INSERT INTO products (name, affiliate_link, currency) VALUES (:n, :l, 'USD')",
            n=f"{email} thing {n}",
            l=f"https://example.com/{email}/{n}",
        )
        pid = scalar(engine, "SELECT id FROM products WHERE name = :n", n=f"{email} thing {n}")
        execute(engine, "INSERT INTO cart_items (user_id, product_id) VALUES (:u, :p)", u=uid, p=pid)


def test_remove_needs_that_users_password(cli, engine):
    add(cli, "Ann", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    # Ann is signed in, but her password does not open Bob's account.
    result = cli("user", "remove", "bob@example.com", "--password-stdin", "--yes", input=PW + "\n")
    assert result.exit_code == 5, result
    assert scalar(engine, "SELECT count(*) FROM users") == 2


def test_remove_deletes_the_user_their_cart_and_sessions(cli, engine):
    add(cli, "Ann", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    add_cart_items(engine, "ann@example.com", 2)
    add_cart_items(engine, "bob@example.com", 1)
    saved = session_file(cli).read_text()
    result = cli("user", "remove", "ANN@example.com", "--password-stdin", "--yes", input=PW + "\n")
    assert result.exit_code == 0, result
    assert result.stderr == (
        "Removed Ann <ann@example.com> and their cart (2 items).\n"
        "Bob <bob@example.com> is the admin now (the oldest account left).\n"
        "Nobody is signed in to this database on this machine now.\n"
    )
    assert_no_secret(result, PW)
    assert scalar(engine, "SELECT count(*) FROM users") == 1
    assert scalar(engine, "SELECT count(*) FROM cart_items") == 1  # Bob's
    assert scalar(engine, "SELECT count(*) FROM sessions") == 0
    assert not session_file(cli).exists()
    assert_not_signed_in(cli("user", "whoami"))
    session_file(cli).write_text(saved)  # a kept copy of the removed user's session
    assert_not_signed_in(cli("user", "whoami"))

    missing = cli("user", "remove", "ann@example.com", "--password-stdin", "--yes", input=PW + "\n")
    assert missing.exit_code == 5


def test_removing_someone_else_keeps_this_session(cli, engine):
    add(cli, "Ann", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    result = cli("user", "remove", "bob@example.com", "--password-stdin", "--yes", input=BOB_PW + "\n")
    assert result.exit_code == 0, result
    assert result.stderr == "Removed Bob <bob@example.com> and their cart (0 items).\n"
    assert whoami_json(cli)["email"] == "ann@example.com"


# ---------------------------------------------------------------- two users, in turn


def test_two_users_sign_in_in_turn(cli, engine):
    add(cli, "Ann", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    assert whoami_json(cli)["email"] == "ann@example.com"
    assert login(cli, "bob@example.com", BOB_PW).exit_code == 0
    assert whoami_json(cli)["email"] == "bob@example.com"
    # Bob cannot become Ann with his own password.
    assert login(cli, "ann@example.com", BOB_PW).exit_code == 5
    assert whoami_json(cli)["email"] == "bob@example.com"
    assert login(cli, "ann@example.com").exit_code == 0
    assert whoami_json(cli)["email"] == "ann@example.com"


def test_each_user_sees_only_their_own_cart(cli, engine):
    add(cli, "Ann", "ann@example.com")
    add(cli, "Bob", "bob@example.com", BOB_PW)
    add_cart_items(engine, "ann@example.com", 2)
    ann_cart = cart_list(cli)
    assert ann_cart.exit_code == 0, ann_cart
    assert "ann@example.com thing 0" in ann_cart.stdout
    assert login(cli, "bob@example.com", BOB_PW).exit_code == 0
    bob_cart = cart_list(cli)
    assert bob_cart.exit_code == 0, bob_cart
    assert "ann@example.com thing" not in bob_cart.stdout


# ---------------------------------------------------------------- at a terminal


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_prompts_at_a_terminal_are_hidden_and_ask_twice(tmp_path):
    db = str(tmp_path / "t.db")
    code, screen = run_at_terminal(
        ["--db", db, "user", "add", "Ann", "ann@example.com"], ["typed-pw-1", "typed-pw-2", PW, PW]
    )
    assert code == 0, screen
    assert screen.count("Password: ") == 2
    assert screen.count("Repeat for confirmation: ") == 2
    assert "do not match" in screen
    assert "Signed in as Ann <ann@example.com>." in screen
    for secret in ("typed-pw-1", "typed-pw-2", PW):
        assert secret not in screen  # not echoed

    code, screen = run_at_terminal(["--db", db, "user", "remove", "ann@example.com"], [PW, "n"])
    assert code == 1, screen
    assert "Remove Ann <ann@example.com> and their cart (0 items) for good? [y/N]: " in screen
    assert "nothing was changed" in screen
