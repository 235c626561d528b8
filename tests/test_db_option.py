"""--db after a group works as before it; a --db file in a directory that does not exist is an error."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import invoke

from ishop4u_cli import settings


def test_db_after_the_group_works_as_before_it(cli):
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r
    r = invoke(["product", "add", "https://shop.example/a", "--no-fetch", "--price", "2", "--db", cli.db_url])
    assert r.exit_code == 0, r
    assert invoke(["cart", "add", "1", f"--db={cli.db_url}"]).exit_code == 0
    after = invoke(["cart", "list", "--json", "--db", cli.db_url])
    assert after.exit_code == 0, after
    assert after.stdout == cli("cart", "list", "--json").stdout
    assert [i["product_id"] for i in json.loads(after.stdout)["items"]] == [1]
    assert invoke(["checkout", "--db", cli.db_url]).stdout == cli("checkout").stdout


def test_the_last_db_wins_and_after_double_dash_it_is_an_argument(tmp_path: Path):
    assert settings.db_option_first(["--db", "a", "cart", "list", "--db", "b"]) == [
        "--db", "a", "--db", "b", "cart", "list",
    ]  # fmt: skip
    assert settings.db_option_first(["cart", "add", "--", "--db"]) == ["cart", "add", "--", "--db"]


def test_an_explicit_db_in_a_missing_directory_is_an_error(tmp_path: Path, monkeypatch):
    missing = tmp_path / "no" / "such" / "dir" / "cart.db"
    r = invoke(["--db", str(missing), "product", "list"])
    assert (r.exit_code, r.stdout) == (7, "")
    assert r.stderr == (
        f"Error: cannot open the database at {missing}: the directory {missing.parent} does not exist "
        "(create it first, or give --db a file in an existing directory)\n"
    )
    monkeypatch.setenv(settings.ENV_DATABASE_URL, str(missing))
    r = invoke(["db", "current"])
    assert r.exit_code == 7 and "give $ISHOP4U_DATABASE_URL a file" in r.stderr
    assert not (tmp_path / "no").exists()  # nothing was created


def test_the_default_location_is_still_created(isolated_home: Path):
    r = invoke(["product", "list"])
    assert r.exit_code == 0, r
    assert settings.default_database_path().is_file()
