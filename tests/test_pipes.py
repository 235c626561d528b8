"""A closed stdout (`ishop4u cart list | head -1`) ends the command quietly, as `ls | head -1` does.

Run as a user's shell runs it: without PYTHONUNBUFFERED (these machines set it, and it hides the
bug), the program's stdout a pipe whose reader has already gone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ishop4u_cli.errors import ExitCode


def user_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE")}
    env.pop("_TYPER_FORCE_DISABLE_TERMINAL", None)
    return env


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `ishop4u ARGS | head -0`: the reader closes before the program writes a byte."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "ishop4u_cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=user_env(),
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


def run_into_head(*args: str) -> subprocess.CompletedProcess[str]:
    """`ishop4u ARGS | head -1` through a real shell, with pipefail so the program's status shows."""
    command = " ".join([sys.executable, "-m", "ishop4u_cli", *(f"'{a}'" for a in args)])
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", f"{command} | head -1"],
        capture_output=True,
        text=True,
        env=user_env(),
        timeout=60,
        check=False,
    )


@pytest.fixture
def filled(cli):
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    urls = "".join(f"https://www.amazon.com/dp/B0{i:08d}\n" for i in range(40))
    r = cli("cart", "add", "-", "--no-fetch", "--json", input=urls)
    assert r.exit_code == 0, r
    first = json.loads(r.stdout)["added"][0]["product_id"]
    r = cli("product", "edit", str(first), "--price", "9.99", "--name", "Blue mug")
    assert r.exit_code == 0, r
    return cli


COMMANDS = [
    ("cart", "list"),
    ("cart", "list", "--json"),
    ("product", "list"),
    ("product", "list", "--json"),
    ("cart", "export"),
    ("cart", "export", "--format", "csv"),
    ("checkout",),
    ("checkout", "--json"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_closed_stdout_ends_quietly(filled, args):
    proc = run_into_closed_pipe("--db", filled.db_url, *args)
    assert proc.stderr == ""
    assert proc.returncode == ExitCode.BROKEN_PIPE


@pytest.mark.parametrize("args", [("cart", "list"), ("product", "list", "--json")], ids=" ".join)
def test_head_gets_its_line_and_nothing_is_printed(filled, args):
    proc = run_into_head("--db", filled.db_url, *args)
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 1
    # head exits 0; the program either finished first (0) or found the pipe closed (141).
    assert proc.returncode in (0, ExitCode.BROKEN_PIPE)


def test_nothing_committed_is_undone(filled):
    """A write whose confirmation line cannot be printed stays written."""
    proc = run_into_closed_pipe(
        "--db", filled.db_url, "cart", "add", "https://www.ebay.com/itm/256123456789", "--no-fetch", "--json"
    )
    assert proc.returncode == ExitCode.BROKEN_PIPE, proc.stderr
    r = filled("cart", "list", "--json")
    links = [item["affiliate_link"] for item in json.loads(r.stdout)["items"]]
    assert any("256123456789" in link for link in links)
