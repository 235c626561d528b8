"""Prompts at a real terminal: Ctrl-C is exit 130 everywhere, Ctrl-D is "no" or an empty password.

Each test runs the program on a pseudo-terminal, as a user's shell does: without
PYTHONUNBUFFERED, which these machines set and a user's shell does not. Prompts
do not depend on the database, so these run on SQLite only.
"""

from __future__ import annotations

import json
import sys

import pytest
from terminal import CTRL_C, CTRL_D, run_at_terminal

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
    pytest.mark.parametrize("backend", ["sqlite"]),
]

PW = "secret-pw"
SHELL_ENV = {"PYTHONUNBUFFERED": None}


def at_terminal(cli, *args: str, answers: list[str]) -> tuple[int, str]:
    return run_at_terminal(["--db", cli.db_url, *args], answers, SHELL_ENV)


def add_user(cli, name: str = "Ann", email: str = "ann@example.com") -> None:
    result = cli("user", "add", name, email, "--password-stdin", input=PW + "\n")
    assert result.exit_code == 0, result


def users(cli) -> list[str]:
    """The accounts' emails, read from the database (`user list` needs someone signed in)."""
    from sqlalchemy import text

    from ishop4u_cli import db

    engine = db.open_database(cli.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT email FROM users ORDER BY id")).scalars())
    finally:
        engine.dispose()


def cart_count(cli) -> int:
    return len(json.loads(cli("cart", "list", "--json").stdout)["items"])


def assert_interrupted(code: int, screen: str) -> None:
    assert code == 130, screen
    assert screen.rstrip().endswith("Error: interrupted"), screen
    assert "Aborted!" not in screen
    assert "Traceback" not in screen


# ---------------------------------------------------------------- Ctrl-C at a password prompt


def test_ctrl_c_at_the_login_password(cli):
    add_user(cli)
    cli("user", "logout")
    code, screen = at_terminal(cli, "user", "login", "ann@example.com", answers=[CTRL_C])
    assert_interrupted(code, screen)
    assert screen.startswith("Password: ")
    assert cli("user", "whoami").exit_code == 4


@pytest.mark.parametrize("answers", [[CTRL_C], [PW, CTRL_C]], ids=["first entry", "confirmation"])
def test_ctrl_c_at_user_add_creates_nobody(cli, answers):
    code, screen = at_terminal(cli, "user", "add", "Ann", "ann@example.com", answers=answers)
    assert_interrupted(code, screen)
    assert users(cli) == []


def test_ctrl_c_at_passwd_keeps_the_password(cli):
    add_user(cli)
    code, screen = at_terminal(cli, "user", "passwd", answers=[PW, "new-password", CTRL_C])
    assert_interrupted(code, screen)
    assert "Repeat for confirmation: " in screen
    relogin = cli("user", "login", "ann@example.com", "--password-stdin", input=PW + "\n")
    assert relogin.exit_code == 0, relogin


# ---------------------------------------------------------------- Ctrl-C and Ctrl-D at a confirmation


@pytest.fixture
def stocked(cli):
    """Ann signed in, a source Foo, product 1 (an Amazon page) in her cart."""
    add_user(cli)
    assert cli("source", "add", "Foo").exit_code == 0
    added = cli("cart", "add", "https://www.amazon.com/dp/B0C1234567", "--no-fetch")
    assert added.exit_code == 0, added
    return cli


CONFIRMATIONS = {
    "cart clear": ["cart", "clear"],
    "product remove": ["product", "remove", "1"],
    "source remove": ["source", "remove", "Foo"],
    "checkout done": ["checkout", "done", "amazon"],
}


def unchanged(cli) -> bool:
    return cart_count(cli) == 1 and cli("source", "show", "Foo").exit_code == 0


@pytest.mark.parametrize("command", list(CONFIRMATIONS))
def test_ctrl_c_at_a_confirmation_is_interrupted(stocked, command):
    code, screen = at_terminal(stocked, *CONFIRMATIONS[command], answers=[CTRL_C])
    assert_interrupted(code, screen)
    assert "? [y/N]: " in screen
    assert "\nError: interrupted" in screen  # on its own line, not after the question
    assert unchanged(stocked)


@pytest.mark.parametrize("command", list(CONFIRMATIONS))
def test_ctrl_d_at_a_confirmation_is_no(stocked, command):
    code, screen = at_terminal(stocked, *CONFIRMATIONS[command], answers=[CTRL_D])
    assert code == 1, screen
    assert screen.rstrip().endswith("Error: nothing was changed"), screen
    assert "\nError: nothing was changed" in screen
    assert "Aborted!" not in screen
    assert unchanged(stocked)


def test_ctrl_c_and_ctrl_d_at_user_remove(cli):
    add_user(cli)
    code, screen = at_terminal(cli, "user", "remove", "ann@example.com", answers=[PW, CTRL_C])
    assert_interrupted(code, screen)
    code, screen = at_terminal(cli, "user", "remove", "ann@example.com", answers=[PW, CTRL_D])
    assert code == 1, screen
    assert "Error: nothing was changed" in screen
    assert users(cli) == ["ann@example.com"]


# ---------------------------------------------------------------- Ctrl-D at a password prompt


def test_ctrl_d_at_the_login_password_is_an_empty_password(cli):
    add_user(cli)
    cli("user", "logout")
    code, screen = at_terminal(cli, "user", "login", "ann@example.com", answers=[CTRL_D])
    assert code == 2, screen
    assert screen.rstrip().endswith("Error: the password is empty"), screen
    assert "Aborted!" not in screen
    assert cli("user", "whoami").exit_code == 4


@pytest.mark.parametrize("answers", [[CTRL_D], [PW, CTRL_D]], ids=["first entry", "confirmation"])
def test_ctrl_d_at_user_add_is_refused(cli, answers):
    code, screen = at_terminal(cli, "user", "add", "Ann", "ann@example.com", answers=answers)
    assert code == 2, screen
    assert screen.rstrip().endswith("Error: the password is empty"), screen
    assert users(cli) == []


# ---------------------------------------------------------------- the password's length, at once


def test_a_short_password_is_refused_before_the_confirmation(cli):
    code, screen = at_terminal(cli, "user", "add", "Ann", "ann@example.com", answers=["short"])
    assert code == 2, screen
    assert "Error: the password is too short: use at least 8 characters" in screen
    assert "Repeat for confirmation" not in screen
    assert "short" not in screen.replace("too short", "")  # hidden input
    assert users(cli) == []


def test_a_short_new_password_is_refused_before_the_confirmation(cli):
    add_user(cli)
    code, screen = at_terminal(cli, "user", "passwd", answers=[PW, "short"])
    assert code == 2, screen
    assert "New password: " in screen
    assert "Error: the password is too short" in screen
    assert "Repeat for confirmation" not in screen
