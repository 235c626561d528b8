"""Ids beyond the database's integer range are "not found" (exit 3), never a database error (issue 14)."""

from __future__ import annotations

import pytest

BIG = ["2147483648", "99999999999999999999", "9223372036854775808"]


def sign_up(cli) -> None:
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r


@pytest.mark.parametrize("big", BIG)
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["product", "show", "{id}"], "no product with id {id}"),
        (["product", "edit", "{id}", "--name", "x"], "no product with id {id}"),
        (["product", "remove", "{id}", "--yes"], "no product with id {id}"),
        (["cart", "add", "{id}"], "no product with id {id}"),
        (["cart", "update", "{id}", "--qty", "2"], "product {id} is not in your cart"),
        (["cart", "remove", "{id}"], "{id}"),
        (["source", "show", "{id}"], "no source named '{id}'"),
        (["source", "edit", "{id}", "--tag", "x"], "no source named '{id}'"),
        (["source", "remove", "{id}", "--yes"], "no source named '{id}'"),
        (["product", "list", "--source", "{id}"], "no source named '{id}'"),
    ],
)
def test_an_id_out_of_range_is_not_found(cli, db_rows, args, message, big):
    sign_up(cli)
    before = db_rows()
    r = cli(*[a.format(id=big) for a in args])
    assert r.exit_code == 3, r
    assert message.format(id=big) in r.stderr and r.stderr.startswith("Error: ")
    assert db_rows() == before


def test_the_largest_id_in_range_is_looked_up(cli):
    r = cli("product", "show", "2147483647")
    assert r.exit_code == 3, r
    assert "no product with id 2147483647" in r.stderr


def test_ids_in_range_still_work(cli):
    sign_up(cli)
    assert cli("product", "add", "https://shop.example/products/mug", "--no-fetch").exit_code == 0
    assert cli("cart", "add", "1").exit_code == 0
    r = cli("cart", "remove", "1", "99999999999999999999")
    assert r.exit_code == 3, r  # one of them is in no cart: nothing removed
    assert cli("cart", "remove", "1").exit_code == 0
