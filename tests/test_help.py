"""Help names every parameter in upper case, never by its Python type (`ITEM...`, not `ITEM <list[str]>`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from ishop4u_cli.app import app

README = Path(__file__).resolve().parents[1] / "README.md"


def command_paths() -> list[list[str]]:
    from typer._click import Context  # Typer 0.29 vendors Click

    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd, path: list[str]) -> None:
        paths.append(path)
        if hasattr(cmd, "list_commands"):
            ctx = Context(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])

    walk(root, [])
    return paths


def help_of(cli_path: list[str]) -> str:
    from conftest import invoke

    r = invoke([*cli_path, "--help"])
    assert r.exit_code == 0, r
    return r.stdout


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "ishop4u")
def test_help_shows_no_python_types_and_upper_case_metavars(path):
    text = help_of(path)
    assert not re.search(r"<(str|int|list|float|bool|path)", text), text
    assert "{" not in text.split("\n", 1)[0], text  # the usage line: ITEM..., not {ITEM}...
    usage = text.split("\n", 1)[0]
    for word in usage.split()[2 + len(path) :]:
        assert word.strip("[].") == word.strip("[].").upper(), usage
    for option_value in re.findall(r"(?m)^\s+(?:-\w, )?--[a-z-]+ (\S+)(?:\s{2,}|$)", text):
        assert option_value == option_value.upper(), option_value


def test_list_arguments_read_as_click_writes_them():
    assert help_of(["cart", "add"]).splitlines()[0] == "Usage: ishop4u cart add [OPTIONS] ITEM..."
    assert "  ITEM...  " in help_of(["cart", "add"])
    assert "  PRODUCT_ID...  " in help_of(["cart", "remove"])
    assert "--db PATH_OR_URL" in help_of([])


def test_product_edit_currency_claims_no_default():
    text = " ".join(help_of(["product", "edit"]).split())
    assert "--currency CODE A new ISO 4217 code" in text
    assert "$ISHOP4U_CURRENCY" not in text


def test_usage_errors_keep_clicks_form_as_the_readme_says():
    from conftest import invoke

    r = invoke(["cart", "add"])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        "Usage: ishop4u cart add [OPTIONS] ITEM...",
        "Try 'ishop4u cart add -h' for help.",
        "",
        "Error: Missing argument 'ITEM'.",
    ]
    readme = " ".join(README.read_text().split())
    assert "Every error is one line on stderr, `Error: ...`" in readme
    assert (
        "they keep Click's usual form, the usage line, a line saying how to get help, then the `Error:` line"
        in (readme)
    )


def test_the_readme_tour_fits_80_columns():
    text = README.read_text()
    tour = text.split("## A short tour", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert "cart add 'https://shop.example/products/lamp' --price 19.99" in tour
    assert [line for line in tour.splitlines() if len(line) > 80] == []
