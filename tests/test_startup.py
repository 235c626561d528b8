"""Start-up pays only for what the command line names: what help, completion and the JSON lists
import, only the invoked group built, and help that lists every group and command as before.

(Speed itself is measured by benchmarks/startup.py, never asserted here.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import typer
from conftest import invoke
from typer.testing import CliRunner

from ishop4u_cli import app as app_module

HEAVY = {"sqlalchemy", "sqlmodel", "alembic", "httpx", "argon2", "pydantic", "rich"}
GROUPS = [name for name in app_module.COMMANDS if name != "demo"]


def modules_after(args: list[str], env: dict[str, str] | None = None) -> tuple[set[str], str]:
    """The modules `ishop4u ARGS` imported (run in a fresh interpreter), and what it printed."""
    code = (
        "import sys\n"
        f"sys.argv = ['ishop4u', *{args!r}]\n"
        "from ishop4u_cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "print('MODULES', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, proc.stderr
    return set(line[-1].split()[1:]), proc.stdout


def heavy(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules} & HEAVY


@pytest.fixture
def sqlite_shop(tmp_path, sqlite_template):
    """A SQLite database at the newest revision: Ann signed in, two products, both in her cart."""
    path = tmp_path / "shop.db"
    shutil.copyfile(sqlite_template, path)
    for args in (
        ["user", "add", "Ann", "ann@example.com", "--password-stdin"],
        ["product", "add", "https://shop.example/products/a", "--name", "A", "--price", "2", "--no-fetch"],
        ["product", "add", "https://shop.example/products/b", "--name", "B", "--no-fetch"],
        ["cart", "add", "1", "2"],
    ):
        r = invoke(["--db", str(path), *args], input="secret-pw-123\n")
        assert r.exit_code == 0, r
    return str(path)


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], *([group, "--help"] for group in GROUPS), ["cart", "list", "--help"]],
)
def test_help_imports_nothing_heavy(args):
    modules, out = modules_after(args)
    assert out
    assert heavy(modules) == set()


@pytest.mark.parametrize(
    ("shell", "words"),
    [
        ("bash", "cart update "),
        ("zsh", "product show "),
        ("fish", "checkout done "),
        ("bash", "user login "),
        ("bash", "c"),
    ],
)
def test_completion_imports_nothing_heavy_on_sqlite(sqlite_shop, shell, words):
    line = f"ishop4u --db {sqlite_shop} {words}"
    if shell == "bash":
        env = {"_ISHOP4U_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split()))}
        if not words.endswith(" "):
            env["COMP_CWORD"] = str(len(line.split()) - 1)
    else:
        env = {"_ISHOP4U_COMPLETE": f"complete_{shell}", "_TYPER_COMPLETE_ARGS": line}
        env["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    modules, out = modules_after([], env)
    assert out.strip(), "completion answered nothing"
    assert heavy(modules) == set()
    assert "sqlite3" in modules or words == "c"


@pytest.mark.parametrize("args", [["cart", "list", "--json"], ["product", "list", "--json"]])
def test_json_lists_do_not_import_rich(sqlite_shop, args):
    modules, out = modules_after(["--db", sqlite_shop, *args])
    assert out.lstrip().startswith("{")
    assert "rich" not in {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "args", [["cart", "--help"], ["cart", "list", "--help"], ["user", "login", "--help"]]
)
def test_only_the_invoked_group_is_imported(args):
    modules, _ = modules_after(args)
    commands = {m.rsplit(".", 1)[1] for m in modules if m.startswith("ishop4u_cli.commands.")}
    assert commands == {args[0], "_shared"}


def _eager_app() -> typer.Typer:
    """ishop4u as Typer builds it when every group is registered with add_typer up front."""
    import importlib

    ref = typer.Typer(
        name="ishop4u",
        help=app_module.app.info.help,
        no_args_is_help=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    ref.callback()(app_module.root)
    for name, (module, attribute) in app_module.COMMANDS.items():
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            ref.add_typer(target, name=name)
        else:
            ref.command(name)(target)
    return ref


def _every_help_command() -> list[list[str]]:
    import importlib

    commands: list[list[str]] = [[]]
    for name, (module, attribute) in app_module.COMMANDS.items():
        target = getattr(importlib.import_module(module), attribute)
        commands.append([name])
        if isinstance(target, typer.Typer):
            for info in target.registered_commands:
                commands.append([name, info.name or typer.main.get_command_name(info.callback.__name__)])
    return commands


@pytest.mark.parametrize("words", _every_help_command(), ids=lambda w: " ".join(w) or "ishop4u")
def test_help_is_what_typer_builds_eagerly(words):
    """Lazy groups change nothing anyone reads: every --help is the one Typer builds up front,
    so each group's help lists every one of its commands, and the root's every group."""
    runner = CliRunner()
    lazy = runner.invoke(app_module.app, [*words, "--help"], prog_name="ishop4u")
    eager = runner.invoke(_eager_app(), [*words, "--help"], prog_name="ishop4u")
    assert lazy.exit_code == eager.exit_code == 0, (lazy.output, eager.output)
    assert lazy.stdout == eager.stdout


def test_every_group_and_command_is_listed():
    root = invoke(["--help"]).stdout
    for name in app_module.COMMANDS:
        assert f"\n  {name} " in root, name
    for group in GROUPS:
        text = invoke([group, "--help"]).stdout
        target = typer.main.get_command(_eager_app()).commands[group]
        for command in getattr(target, "commands", {}):
            assert f"\n  {command} " in text, (group, command)


def test_the_program_ends_with_its_code_and_all_its_output(sqlite_shop):
    """run() skips the interpreter's teardown: what was printed still arrives whole, codes are kept."""

    def ishop4u(*args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "ishop4u_cli", "--db", sqlite_shop, *args],
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    listed = ishop4u("product", "list", "--json")
    assert listed.returncode == 0 and [p["name"] for p in json.loads(listed.stdout)["products"]] == ["A", "B"]
    table = ishop4u("cart", "list")
    assert table.returncode == 0 and table.stdout.endswith("1 item without a price is not in the totals.\n")
    missing = ishop4u("cart", "update", "99", "--qty", "2")
    assert missing.returncode == 3 and missing.stderr.startswith("Error: ") and missing.stdout == ""
    usage = ishop4u("cart", "nosuch")
    assert usage.returncode == 2 and "No such command" in usage.stderr
    debug = ishop4u("cart", "update", "99", "--qty", "2", ISHOP4U_DEBUG="1")
    assert debug.returncode != 0 and "Traceback" in debug.stderr  # the ordinary exit, for debuggers
