"""PostgreSQL as the user meets it when something is missing: no driver, no server.

These run real processes (`python -m ishop4u_cli`) and need no PostgreSQL
server: a missing driver is simulated by blocking `import psycopg` in the
child, an unreachable server by a local port nobody listens on. Each case
must give one `Error: ...` line and exit 7 (database), never a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from conftest import Run

DRIVER_MESSAGE = (
    "Error: PostgreSQL needs its driver: pip install 'ishop4u[postgres]' "
    "(installed with pipx: pipx inject ishop4u 'psycopg[binary]')\n"
)

# Blocks psycopg (and psycopg2) before the program starts, as if never installed.
NO_DRIVER = (
    "import sys\n"
    "sys.modules['psycopg'] = None\n"
    "sys.modules['psycopg2'] = None\n"
    "from ishop4u_cli.app import main\n"
    "sys.argv[0] = 'ishop4u'\n"
    "main()\n"
)

COMMANDS = [
    ("cart", "list"),
    ("product", "list", "--json"),
    ("db", "upgrade"),
    ("user", "whoami"),
    ("product", "import", "-"),
]


def run(
    args: list[str], *, env: dict[str, str] | None = None, no_driver: bool = False, input: str = ""
) -> Run:
    full_env = {**os.environ, **(env or {})}
    prefix = [sys.executable, "-c", NO_DRIVER] if no_driver else [sys.executable, "-m", "ishop4u_cli"]
    proc = subprocess.run(
        [*prefix, *args],
        capture_output=True,
        text=True,
        env=full_env,
        input=input,
        timeout=60,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def free_port() -> int:
    """A local TCP port with nobody listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_missing_driver_is_one_line_and_exit_7(command):
    result = run(["--db", "postgresql+psycopg://someone@127.0.0.1:5432/shop", *command], no_driver=True)
    assert (result.exit_code, result.stdout, result.stderr) == (7, "", DRIVER_MESSAGE)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://someone@127.0.0.1:5432/shop",
        "postgresql://someone@127.0.0.1:5432/shop",  # the bare scheme means psycopg 3 too
        "postgres://someone@127.0.0.1:5432/shop",
    ],
)
def test_missing_driver_through_the_environment(url):
    result = run(["cart", "list"], env={"ISHOP4U_DATABASE_URL": url}, no_driver=True)
    assert (result.exit_code, result.stderr) == (7, DRIVER_MESSAGE)


def test_driver_really_is_blocked_in_the_child():
    """Guard for the tests above: the child really cannot import psycopg."""
    probe = subprocess.run(
        [sys.executable, "-c", NO_DRIVER.split("from ishop4u_cli")[0] + "import psycopg\n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert probe.returncode == 1
    assert "ModuleNotFoundError" in probe.stderr or "ImportError" in probe.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_unreachable_server_is_one_line_and_exit_7(command):
    port = free_port()
    result = run(["--db", f"postgresql+psycopg://someone:s3cret-pw@127.0.0.1:{port}/shop", *command])
    assert result.exit_code == 7, result
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"Error: cannot open the database at postgresql+psycopg://someone:***@127.0.0.1:{port}/shop: "
    ), result
    assert "Connection refused" in result.stderr or "connection failed" in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr  # the password never reaches the screen


def test_unreachable_server_from_the_environment():
    port = free_port()
    result = run(
        ["product", "list"], env={"ISHOP4U_DATABASE_URL": f"postgresql://someone@127.0.0.1:{port}/shop"}
    )
    assert result.exit_code == 7, result
    assert result.stderr.startswith(
        f"Error: cannot open the database at postgresql+psycopg://someone@127.0.0.1:{port}/shop: "
    )
    assert result.stderr.count("\n") == 1


def test_unknown_database_on_a_running_server(postgres_server):
    """The server answers but the database does not exist: the same one line, exit 7."""
    url = postgres_server.url_for("ishop4u_no_such_database")
    result = run(["--db", url, "cart", "list"])
    assert result.exit_code == 7, result
    assert result.stderr.startswith("Error: cannot open the database at ")
    assert 'database "ishop4u_no_such_database" does not exist' in result.stderr
    assert result.stderr.count("\n") == 1


def test_whole_flow_on_postgresql_through_the_installed_program(db_url, backend, tmp_path):
    """The same commands, in real processes, work end to end on either backend."""
    env = {"ISHOP4U_DATABASE_URL": db_url}
    steps = [
        (["user", "add", "Ann", "ann@example.com", "--password-stdin"], "pg-flow-pw-1\n"),
        (
            ["product", "import", "-", "--format", "csv"],
            "name,url,price,currency\nMug,https://www.etsy.com/listing/42/mug,12.50,EUR\n",
        ),
        (["cart", "add", "1", "--qty", "3"], ""),
    ]
    for args, stdin in steps:
        result = run(args, env=env, input=stdin)
        assert result.exit_code == 0, result
    listed = run(["cart", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed
    assert '"line_total": "37.50"' in listed.stdout
    assert '"amount": "37.50"' in listed.stdout
