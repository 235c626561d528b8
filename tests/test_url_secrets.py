"""Database URLs are shown without their passwords, wherever the password sits (issue 14)."""

from __future__ import annotations

import pytest
from conftest import invoke

from ishop4u_cli.url_secrets import at_sign_hint, mask


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://ann:s3cret@db.example/carts", "postgresql+psycopg://ann:***@db.example/carts"),
        (
            "postgresql+psycopg://ann@db.example/carts?password=s3cret&sslmode=require",
            "postgresql+psycopg://ann@db.example/carts?password=***&sslmode=require",
        ),
        (
            "postgresql://ann@db.example/c?sslmode=verify-full&sslpassword=k3y&PASSWORD=x",
            "postgresql://ann@db.example/c?sslmode=verify-full&sslpassword=***&PASSWORD=***",
        ),
        ("postgresql+psycopg://ann:p@ss@db.example/carts", "postgresql+psycopg://***@db.example/carts"),
        ("postgresql://ann:pa/ss@word@db.example/carts", "postgresql://***@db.example/carts"),
        (
            "postgresql://ann@db.example/carts?application_name=a@b",
            "postgresql://ann@db.example/carts?application_name=a@b",
        ),
        ("postgresql://db.example/carts", "postgresql://db.example/carts"),
    ],
)
def test_mask(url, shown):
    assert mask(url) == shown


def test_at_sign_hint_only_when_an_at_sign_split_the_url():
    assert at_sign_hint("postgresql://ann:p%40ss@db.example/c") == ""
    assert at_sign_hint("postgresql://ann@db.example/c?x=a@b") == ""
    assert "write it as %40" in at_sign_hint("postgresql://ann:p@ss@db.example/c")


def test_db_path_masks_a_query_password():
    r = invoke(["--db", "postgresql+psycopg://ann@db.example/carts?password=s3cret", "db", "path"])
    assert r.exit_code == 0, r
    assert r.stdout == "postgresql+psycopg://ann@db.example/carts?password=***\n"


def test_db_path_from_the_environment_masks_it_too():
    r = invoke(["db", "path"], env={"ISHOP4U_DATABASE_URL": "postgresql://ann:s3cret@db.example/carts"})
    assert r.exit_code == 0, r
    assert "s3cret" not in r.stdout and "ann:***@db.example" in r.stdout


def test_errors_mask_a_query_password():
    pytest.importorskip("psycopg")
    r = invoke(["--db", "postgresql+psycopg://ann@127.0.0.1:1/carts?password=s3cret", "product", "list"])
    assert r.exit_code == 7, r
    assert "s3cret" not in r.stderr
    assert r.stderr.startswith(
        "Error: cannot open the database at postgresql+psycopg://ann@127.0.0.1:1/carts?password=***: "
    )


def test_an_unencoded_at_sign_in_the_password_is_explained():
    pytest.importorskip("psycopg")
    r = invoke(["--db", "postgresql+psycopg://ann:p@ss@127.0.0.1:1/carts", "product", "list"])
    assert r.exit_code == 7, r
    assert r.stderr == (
        "Error: cannot open the database at postgresql+psycopg://***@127.0.0.1:1/carts"
        " (the URL has more than one '@' before its host: an '@' in the password splits it;"
        " write it as %40, as in user:p%40ss@host)\n"
    )
