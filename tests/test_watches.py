"""Price watches: `product watch/unwatch/watches` through the CLI, and when a watch fires (watches.evaluate),
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from refresh_server import add_product

from ishop4u_cli.services import watches

PASSWORD = "secret-pw\n"
T0 = datetime(2026, 11, 1, 8, 0, 0)


def watch_docs(cli) -> list[dict]:
    r = cli("product", "watches", "--json")
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["watches"]


def user_id(engine, email: str) -> int:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar_one()


class Reads:
    """Good reads of one product's price, each in its own transaction (as refresh records them)."""

    def __init__(self, engine, user: int, product: int) -> None:
        self.engine, self.user, self.product, self.at = engine, user, product, T0

    def __call__(self, price: str, currency: str = "USD") -> list[tuple[str, bool]]:
        from ishop4u_cli import db

        self.at += timedelta(hours=1)
        with db.session_scope(self.engine) as session:
            alerts = watches.evaluate(
                session,
                user_id=self.user,
                product_id=self.product,
                price=Decimal(price),
                currency=currency,
                at=self.at,
            )
        return [(f"{a.price} {a.currency}", a.new_low) for a in alerts]


# ---------------------------------------------------------------- when a watch fires


def test_fires_once_per_crossing_and_again_at_a_new_low(ann, engine):
    pid = add_product(ann, "https://shop.example/mug", "--name", "Mug", "--price", "25.00")
    assert ann("product", "watch", str(pid), "--below", "20").exit_code == 0
    read = Reads(engine, user_id(engine, "ann@example.com"), pid)

    assert read("21.00") == []  # above the mark
    assert read("20.00") == [("20.00 USD", False)]  # at the mark: fires
    assert read("20.00") == []  # the same price: no repeat
    assert read("19.99") == [("19.99 USD", True)]  # a new low below the mark
    assert read("19.99") == []
    assert read("20.00") == []  # back up, still at or below the mark: nothing
    assert read("19.99") == []  # not below the lowest alerted
    assert read("19.50") == [("19.50 USD", True)]
    assert read("20.01") == []  # above: re-armed, silently
    assert read("20.00") == [("20.00 USD", False)]  # the next crossing fires

    r = ann("product", "watches")
    assert r.stdout.splitlines()[-1].split() == [
        "1",
        "Mug",
        "20.00",
        "USD",
        "below",
        "25.00",
        "USD",
        "20.00",
        "USD",
    ]
    (doc,) = watch_docs(ann)
    assert doc["fired"] is True
    assert doc["fired_price"] == "20.00"
    assert doc["fired_at"] == "2026-11-01 18:00:00"


def test_another_currency_never_compares(ann, engine):
    pid = add_product(
        ann, "https://shop.example/lamp", "--name", "Lamp", "--price", "50", "--currency", "EUR"
    )
    assert ann("product", "watch", str(pid), "--below", "40").exit_code == 0
    read = Reads(engine, user_id(engine, "ann@example.com"), pid)

    assert read("10.00", "USD") == []  # lower, but in dollars: not compared
    assert read("39.00") == []  # the watch is in euros; USD is the default Reads currency
    assert read("39.00", "EUR") == [("39.00 EUR", False)]
    assert read("99.00", "GBP") == []  # does not re-arm either
    assert read("38.00", "EUR") == [("38.00 EUR", True)]
    assert read("38.00", "EUR") == []


def test_alert_carries_what_a_notification_names(ann, engine):
    pid = add_product(ann, "https://shop.example/kettle", "--name", "Kettle", "--price", "40.00")
    r = ann("product", "watch", str(pid), "--drop", "12.5", "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["mark"] == "35.00"
    from ishop4u_cli import db

    with db.session_scope(engine) as session:
        (alert,) = watches.evaluate(
            session,
            user_id=user_id(engine, "ann@example.com"),
            product_id=pid,
            price=Decimal("34.9"),
            currency="USD",
            at=T0,
        )
    assert alert == watches.Alert(
        product_id=pid,
        product_name="Kettle",
        price=Decimal("34.90"),
        currency="USD",
        mark=Decimal("35.00"),
        kind="drop",
        drop_percent=Decimal("12.50"),
        new_low=False,
    )


def test_evaluate_touches_only_that_users_watches(ann, engine):
    pid = add_product(ann, "https://shop.example/pan", "--name", "Pan", "--price", "30")
    assert ann("product", "watch", str(pid), "--below", "25").exit_code == 0
    assert ann("user", "add", "Bob", "bob@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert ann("user", "login", "bob@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert ann("product", "watch", str(pid), "--below", "20").exit_code == 0

    bob = Reads(engine, user_id(engine, "bob@example.com"), pid)
    assert bob("24.00") == []  # Bob's mark is 20
    assert bob("19.00") == [("19.00 USD", False)]
    assert [w["fired"] for w in watch_docs(ann)] == [True]  # Bob's
    assert ann("user", "login", "ann@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert [w["fired"] for w in watch_docs(ann)] == [False]  # Ann's: untouched


# ---------------------------------------------------------------- the commands


def test_watch_list_and_unwatch(ann):
    cli = ann
    mug = add_product(cli, "https://shop.example/mug", "--name", "Mug", "--price", "9.99")
    cup = add_product(cli, "https://shop.example/cup", "--name", "Cup", "--price", "4", "--currency", "EUR")

    r = cli("product", "watch", str(mug), "--drop", "10")
    assert r.exit_code == 0, r
    # 10% off 9.99 is 8.991: rounded down, so the mark is never above the drop asked for.
    assert r.stderr == "Now watching product 1 (Mug): refresh alerts at or below 8.99 USD (a 10% drop).\n"
    r = cli("product", "watch", str(cup), "--below", "5")
    assert r.exit_code == 0, r
    assert r.stderr == (
        "Now watching product 2 (Cup): refresh alerts at or below 5.00 EUR.\n"
        "Its price, 4.00 EUR, is at or below the mark already: the next refresh that reads it alerts.\n"
    )

    r = cli("product", "watches")
    assert r.exit_code == 0, r
    assert r.stdout.splitlines() == [
        "ID   Name       Mark   Rule       Price now   Alerted",
        "─" * 53,
        " 1   Mug    8.99 USD   10% drop    9.99 USD        no",
        " 2   Cup    5.00 EUR   below       4.00 EUR        no",
    ]
    assert watch_docs(cli) == [
        {
            "product_id": mug,
            "product_name": "Mug",
            "kind": "drop",
            "below": None,
            "drop_percent": "10.00",
            "mark": "8.99",
            "currency": "USD",
            "price": "9.99",
            "price_currency": "USD",
            "fired": False,
            "fired_price": None,
            "fired_at": None,
            "created_at": watch_docs(cli)[0]["created_at"],
        },
        {
            "product_id": cup,
            "product_name": "Cup",
            "kind": "below",
            "below": "5.00",
            "drop_percent": None,
            "mark": "5.00",
            "currency": "EUR",
            "price": "4.00",
            "price_currency": "EUR",
            "fired": False,
            "fired_price": None,
            "fired_at": None,
            "created_at": watch_docs(cli)[1]["created_at"],
        },
    ]

    # Watching again replaces the rule.
    r = cli("product", "watch", str(mug), "--below", "7.50")
    assert r.exit_code == 0, r
    assert r.stderr.startswith("Replaced the watch on product 1 (Mug): refresh alerts at or below 7.50 USD.")
    assert [(w["kind"], w["mark"]) for w in watch_docs(cli)] == [("below", "7.50"), ("below", "5.00")]

    r = cli("product", "unwatch", str(mug))
    assert (r.exit_code, r.stderr) == (0, "Stopped watching product 1 (Mug).\n")
    assert [w["product_id"] for w in watch_docs(cli)] == [cup]
    r = cli("product", "unwatch", str(mug))
    assert r.exit_code == 3
    assert r.stderr == "Error: you have no watch on product 1 (see: ishop4u product watches)\n"


def test_no_watches(ann):
    r = ann("product", "watches")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == "No price watches (add one: ishop4u product watch ID --below PRICE).\n"
    assert watch_docs(ann) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--below", "-1"], "not a valid price: '-1'"),
        (["--below", "0"], "a watch needs a mark above 0"),
        (["--below", "abc"], "not a valid price: 'abc'"),
        (["--below", "1.999"], "not a valid price: '1.999'"),
        (["--drop", "150"], "not a valid --drop percentage: '150'"),
        (["--drop", "100"], "not a valid --drop percentage: '100'"),
        (["--drop", "0"], "not a valid --drop percentage: '0'"),
        (["--drop", "-5"], "not a valid --drop percentage: '-5'"),
        (["--drop", "abc"], "not a valid --drop percentage: 'abc'"),
        (["--drop", "10.555"], "not a valid --drop percentage: '10.555'"),
        (["--drop", "NaN"], "not a valid --drop percentage: 'NaN'"),
        (["--below", "5", "--drop", "10"], "give exactly one of --below PRICE and --drop PERCENT"),
        ([], "give exactly one of --below PRICE and --drop PERCENT"),
    ],
)
def test_bad_watches_exit_2_and_write_nothing(ann, db_rows, args, message):
    pid = add_product(ann, "https://shop.example/mug", "--name", "Mug", "--price", "10")
    before = db_rows()
    r = ann("product", "watch", str(pid), *args)
    assert r.exit_code == 2, r
    assert r.stderr.startswith("Error: ") and message in r.stderr
    assert r.stderr.count("\n") == 1
    assert db_rows() == before


def test_drop_needs_a_current_price(ann, db_rows):
    pid = add_product(ann, "https://shop.example/unpriced", "--name", "Mystery")
    before = db_rows()
    r = ann("product", "watch", str(pid), "--drop", "10")
    assert r.exit_code == 2
    assert r.stderr == (
        f"Error: product {pid} has no current price to drop from; give --below PRICE instead "
        f"(or set one: ishop4u product edit {pid} --price PRICE)\n"
    )
    assert db_rows() == before
    assert ann("product", "watch", str(pid), "--below", "5").exit_code == 0


def test_unknown_product_and_not_signed_in(cli, signed_in, db_rows):
    pid = add_product(cli, "https://shop.example/mug", "--name", "Mug", "--price", "10")
    assert cli("user", "logout").exit_code == 0
    before = db_rows()
    for args in (["watch", str(pid), "--below", "5"], ["unwatch", str(pid)], ["watches"]):
        r = cli("product", *args)
        assert r.exit_code == 4, (args, r)
    assert cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    before = db_rows()
    for args in (
        ["watch", "999", "--below", "5"],
        ["unwatch", "999"],
        ["watch", "99999999999", "--drop", "5"],
    ):
        r = cli("product", *args)
        assert r.exit_code == 3, (args, r)
        assert "no product with id" in r.stderr
    assert db_rows() == before


def test_per_user_isolation(ann):
    cli = ann
    pid = add_product(cli, "https://shop.example/mug", "--name", "Mug", "--price", "10")
    assert cli("product", "watch", str(pid), "--below", "8").exit_code == 0
    assert cli("user", "add", "Bob", "bob@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert cli("user", "login", "bob@example.com", "--password-stdin", input=PASSWORD).exit_code == 0

    assert watch_docs(cli) == []  # Bob sees none of Ann's
    assert cli("product", "unwatch", str(pid)).exit_code == 3  # nor removes hers
    assert cli("product", "watch", str(pid), "--below", "6").exit_code == 0  # his own, beside hers
    assert [w["mark"] for w in watch_docs(cli)] == ["6.00"]

    assert cli("user", "login", "ann@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert [w["mark"] for w in watch_docs(cli)] == ["8.00"]
    assert cli("product", "unwatch", str(pid)).exit_code == 0
    assert cli("user", "login", "bob@example.com", "--password-stdin", input=PASSWORD).exit_code == 0
    assert [w["mark"] for w in watch_docs(cli)] == ["6.00"]


def test_a_removed_product_takes_its_watches(ann):
    pid = add_product(ann, "https://shop.example/mug", "--name", "Mug", "--price", "10")
    assert ann("product", "watch", str(pid), "--below", "8").exit_code == 0
    assert ann("product", "remove", str(pid), "--yes").exit_code == 0
    assert watch_docs(ann) == []


@pytest.mark.parametrize(
    ("price", "percent", "mark"),
    [("9.99", "10", "8.99"), ("100", "33.33", "66.67"), ("0.10", "50", "0.05"), ("19.99", "0.01", "19.98")],
)
def test_drop_marks_round_down(price, percent, mark):
    assert watches.drop_mark(Decimal(price), Decimal(percent)) == Decimal(mark)
