"""Who may change what on a shared database (issue 14), through the CLI on SQLite and PostgreSQL.

Ann's account is the database's first, so she is its admin; Bob's is the second.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal

import pytest
from sqlalchemy import text
from terminal import run_at_terminal

ANN_PW = "anns-own-pw"
BOB_PW = "bobs-own-pw"
CY_PW = "cys-own-pw!"
PAGE = "https://www.amazon.com/dp/B0C1234567"
ANN_LINK = f"{PAGE}?tag=anntag-20"
ADMINS = "(admins: ann@example.com)"


def add_user(cli, name: str, email: str, password: str, *args: str):
    return cli("user", "add", name, email, "--password-stdin", *args, input=password + "\n")


def login(cli, email: str, password: str) -> None:
    r = cli("user", "login", email, "--password-stdin", input=password + "\n")
    assert r.exit_code == 0, r


def scalar(engine, sql: str, **params):
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def user_id(engine, email: str) -> int:
    return scalar(engine, "SELECT id FROM users WHERE email = :e", e=email)


def add_product(cli, url: str, *args: str) -> int:
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["id"]


def product_doc(cli, pid: int) -> dict:
    r = cli("product", "show", str(pid), "--json")
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def admins(cli) -> list[str]:
    r = cli("user", "list", "--json")
    assert r.exit_code == 0, r
    return [u["email"] for u in json.loads(r.stdout) if u["is_admin"]]


@pytest.fixture
def shared(cli):
    """Ann (admin) and Bob on one database; Ann's Amazon tag and her product (returned); Ann signed in."""
    first = add_user(cli, "Ann", "ann@example.com", ANN_PW)
    assert first.exit_code == 0, first
    assert "(id 1), an admin." in first.stderr
    second = add_user(cli, "Bob", "bob@example.com", BOB_PW)
    assert second.exit_code == 0, second
    assert "an admin" not in second.stderr
    assert cli("source", "edit", "amazon", "--tag", "anntag-20").exit_code == 0
    pid = add_product(cli, PAGE, "--name", "Mug", "--price", "10")
    assert product_doc(cli, pid)["affiliate_link"] == ANN_LINK
    return pid


# ---------------------------------------------------------------- refusals (exit 10)


def test_bob_cannot_change_the_sources_nor_anns_links(cli, shared, db_rows, tmp_path):
    pid = shared
    login(cli, "bob@example.com", BOB_PW)
    before = db_rows()
    only_admin = "Error: only an admin may {} " + ADMINS + "\n"
    only_ann = (
        f"Error: only the user who created product {pid} (ann@example.com) or an admin may {{}} {ADMINS}\n"
    )
    refused = [
        (
            ["source", "edit", "amazon", "--tag", "bobtag-20"],
            only_admin.format("change a source's tracking id"),
        ),
        (
            ["source", "edit", "amazon", "--link-template", "https://evil.example/r?u={url}"],
            only_admin.format("change a source's link template"),
        ),
        (
            ["source", "edit", "amazon", "--base-url", "https://evil.example"],
            only_admin.format("change a source's base URL"),
        ),
        (
            ["source", "edit", "amazon", "--name", "Amazon!", "--api-name", "amz"],
            only_admin.format("change a source's name and api name"),
        ),
        (["source", "remove", "amazon", "--yes"], only_admin.format("remove a source")),
        (["source", "remove", "amazon"], only_admin.format("remove a source")),  # refused before asking
        (["source", "add", "Evil Shop", "--tag", "bobtag"], only_admin.format("add a source")),
        (
            ["product", "edit", str(pid), "--url", "https://evil.example/fake"],
            only_ann.format("change its page, source or link (--url)"),
        ),
        (
            ["product", "edit", str(pid), "--source", "ebay", "--name", "Renamed"],
            only_ann.format("change its page, source or link (--source)"),
        ),
        (["product", "remove", str(pid), "--yes"], only_ann.format("remove it")),
        (["product", "remove", str(pid)], only_ann.format("remove it")),  # refused before asking
    ]
    for args, message in refused:
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (10, "", message), args
    assert db_rows() == before
    assert product_doc(cli, pid)["affiliate_link"] == ANN_LINK


def test_bobs_corrections_of_name_price_and_image_are_recorded_as_his(cli, shared, engine):
    pid = shared
    login(cli, "bob@example.com", BOB_PW)
    bob = user_id(engine, "bob@example.com")
    r = cli(
        "product", "edit", str(pid), "--name", "Blue Mug", "--price", "12.50", "--currency", "EUR",
        "--image", "https://img.example/mug.png", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert (doc["name"], doc["price"], doc["currency"]) == ("Blue Mug", "12.50", "EUR")
    assert doc["affiliate_link"] == ANN_LINK  # the link stays Ann's
    assert scalar(engine, "SELECT edited_by FROM products WHERE id = :p", p=pid) == bob
    assert scalar(engine, "SELECT created_by FROM products WHERE id = :p", p=pid) == user_id(
        engine, "ann@example.com"
    )
    with engine.connect() as conn:
        observed = conn.execute(
            text("SELECT price, currency, origin, user_id FROM price_observations WHERE product_id = :p"),
            {"p": pid},
        ).all()
    ann = user_id(engine, "ann@example.com")
    assert [(f"{Decimal(str(p)):.2f}", c, o, u) for p, c, o, u in observed] == [
        ("10.00", "USD", "manual", ann),  # Ann's price when she added it
        ("12.50", "EUR", "manual", bob),
    ]


def test_bob_may_change_and_remove_what_he_created(cli, shared, engine):
    cli("user", "logout")
    login(cli, "bob@example.com", BOB_PW)
    bob = user_id(engine, "bob@example.com")
    added = cli("cart", "add", "https://shop.example/products/lamp", "--no-fetch", "--price", "5", "--json")
    assert added.exit_code == 0, added
    pid = scalar(engine, "SELECT id FROM products WHERE canonical_url LIKE '%lamp'")
    assert scalar(engine, "SELECT created_by FROM products WHERE id = :p", p=pid) == bob
    assert scalar(engine, "SELECT user_id FROM price_observations WHERE product_id = :p", p=pid) == bob
    r = cli("product", "edit", str(pid), "--url", "https://shop.example/products/lamp-2")
    assert r.exit_code == 0, r
    r = cli("product", "remove", str(pid), "--yes")
    assert r.exit_code == 0, r
    assert scalar(engine, "SELECT count(*) FROM products WHERE id = :p", p=pid) == 0


def test_the_admin_may_do_all_of_it(cli, shared, engine):
    pid = shared
    login(cli, "bob@example.com", BOB_PW)
    bobs = add_product(cli, "https://shop.example/products/tee", "--price", "7")
    login(cli, "ann@example.com", ANN_PW)
    for args in (
        ["source", "edit", "amazon", "--tag", "anntag-21"],
        ["source", "edit", "amazon", "--base-url", "https://www.amazon.com"],
        ["source", "edit", "etsy", "--link-template", "https://net.example/r?id={tracking_id}&u={url}"],
        ["source", "add", "Corner Shop", "--base-url", "https://corner.example"],
        ["product", "edit", str(bobs), "--url", "https://shop.example/products/tee-2"],
        ["product", "edit", str(pid), "--source", "ebay"],
        ["product", "remove", str(bobs), "--yes"],
        ["source", "remove", "Corner Shop", "--yes"],
    ):
        r = cli(*args)
        assert r.exit_code == 0, (args, r)
    assert scalar(engine, "SELECT count(*) FROM products") == 1
    assert scalar(engine, "SELECT count(*) FROM affiliate_sources WHERE name = 'Corner Shop'") == 0


def test_product_import_never_changes_a_product_stored_by_someone_else(cli, shared, engine, tmp_path):
    pid = shared
    login(cli, "bob@example.com", BOB_PW)
    path = tmp_path / "bob.csv"
    path.write_text(
        f"name,url,price\nMine,{PAGE}?tag=bobtag-20,1.00\nBob's,https://shop.example/products/cap,3.00\n"
    )
    r = cli("product", "import", str(path))
    assert r.exit_code == 0, r
    assert r.stderr.endswith(": 1 product added, 1 already stored, 0 repeated in the file.\n"), r
    doc = product_doc(cli, pid)
    assert (doc["name"], doc["price"], doc["affiliate_link"]) == ("Mug", "10.00", ANN_LINK)
    bob = user_id(engine, "bob@example.com")
    cap = scalar(engine, "SELECT id FROM products WHERE canonical_url LIKE '%cap'")
    assert scalar(engine, "SELECT created_by FROM products WHERE id = :p", p=cap) == bob
    assert scalar(engine, "SELECT user_id FROM price_observations WHERE product_id = :p", p=cap) == bob


# ---------------------------------------------------------------- admins


def test_only_an_admin_makes_another_admin(cli, shared, db_rows):
    login(cli, "bob@example.com", BOB_PW)
    before = db_rows()
    r = add_user(cli, "Cy", "cy@example.com", CY_PW, "--admin")
    assert (r.exit_code, r.stdout) == (10, "")
    assert r.stderr == f"Error: only an admin may make another admin (user add --admin) {ADMINS}\n"
    assert db_rows() == before

    login(cli, "ann@example.com", ANN_PW)
    r = add_user(cli, "Cy", "cy@example.com", CY_PW, "--admin")
    assert r.exit_code == 0, r
    assert r.stderr.startswith("Created user Cy <cy@example.com> (id 3), an admin.\n")
    assert admins(cli) == ["ann@example.com", "cy@example.com"]
    # Cy may now change the sources.
    login(cli, "cy@example.com", CY_PW)
    assert cli("source", "edit", "amazon", "--tag", "cytag-20").exit_code == 0


def test_user_list_shows_who_is_admin(cli, shared):
    r = cli("user", "list")
    assert r.exit_code == 0, r
    header, _, ann, bob = r.stdout.splitlines()
    assert header.split() == ["ID", "Name", "Email", "Admin", "Created"]
    assert ann.split()[:4] == ["1", "Ann", "ann@example.com", "admin"]
    assert bob.split()[:3] == ["2", "Bob", "bob@example.com"] and "admin" not in bob
    docs = json.loads(cli("user", "list", "--json").stdout)
    assert [(d["email"], d["is_admin"]) for d in docs] == [
        ("ann@example.com", True),
        ("bob@example.com", False),
    ]


def test_the_last_admins_removal_makes_the_oldest_account_left_admin(cli, shared, engine):
    assert add_user(cli, "Cy", "cy@example.com", CY_PW).exit_code == 0
    r = cli("user", "remove", "ann@example.com", "--password-stdin", "--yes", input=ANN_PW + "\n")
    assert r.exit_code == 0, r
    assert r.stderr == (
        "Removed Ann <ann@example.com> and their cart (0 items).\n"
        "Bob <bob@example.com> is the admin now (the oldest account left).\n"
        "Nobody is signed in to this database on this machine now.\n"
    )
    login(cli, "cy@example.com", CY_PW)
    assert admins(cli) == ["bob@example.com"]
    # Ann's product has no creator now: only an admin changes its link.
    pid = shared
    r = cli("product", "edit", str(pid), "--url", "https://evil.example/fake")
    assert r.exit_code == 10
    assert (
        r.stderr
        == "Error: only an admin may change its page, source or link (--url) (admins: bob@example.com)\n"
    )
    # An admin leaving while another remains hands nothing on.
    login(cli, "bob@example.com", BOB_PW)
    assert add_user(cli, "Dee", "dee@example.com", "dees-own-pw", "--admin").exit_code == 0
    r = cli("user", "remove", "bob@example.com", "--password-stdin", "--yes", input=BOB_PW + "\n")
    assert r.exit_code == 0, r
    assert "is the admin now" not in r.stderr
    assert scalar(engine, "SELECT count(*) FROM users WHERE is_admin = :t", t=True) == 1
    # The only account left, an admin, removed: nobody to hand it to.
    r = cli("user", "remove", "cy@example.com", "--password-stdin", "--yes", input=CY_PW + "\n")
    assert r.exit_code == 0 and "is the admin now" not in r.stderr
    r = cli("user", "remove", "dee@example.com", "--password-stdin", "--yes", input="dees-own-pw\n")
    assert r.exit_code == 0 and "is the admin now" not in r.stderr
    assert scalar(engine, "SELECT count(*) FROM users") == 0


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_removing_the_last_admin_asks_naming_who_succeeds(cli, shared, engine):
    code, screen = run_at_terminal(["--db", cli.db_url, "user", "remove", "ann@example.com"], [ANN_PW, "n"])
    assert code == 1, screen
    assert (
        "Remove Ann <ann@example.com> and their cart (0 items) for good; Bob <bob@example.com>, "
        "the oldest account left, becomes the admin? [y/N]: "
    ) in screen
    assert scalar(engine, "SELECT count(*) FROM users") == 2
    # Bob is no admin, so removing his account hands nothing on.
    code, screen = run_at_terminal(["--db", cli.db_url, "user", "remove", "bob@example.com"], [BOB_PW, "n"])
    assert code == 1, screen
    assert "Remove Bob <bob@example.com> and their cart (0 items) for good? [y/N]: " in screen


def test_a_single_user_database_works_as_before(cli, engine):
    assert add_user(cli, "Ann", "ann@example.com", ANN_PW).exit_code == 0
    assert cli("source", "add", "Corner Shop", "--base-url", "https://corner.example").exit_code == 0
    pid = add_product(cli, "https://corner.example/p/1", "--price", "2")
    for args in (
        ["source", "edit", "Corner Shop", "--tag", "mine"],
        ["product", "edit", str(pid), "--url", "https://corner.example/p/2"],
        ["product", "remove", str(pid), "--yes"],
        ["source", "remove", "Corner Shop", "--yes"],
    ):
        r = cli(*args)
        assert r.exit_code == 0, (args, r)


# ---------------------------------------------------------------- nobody signed in (exit 4)


def test_every_write_and_user_list_need_a_signed_in_user(cli, shared, db_rows, tmp_path):
    pid = shared
    assert cli("user", "logout").exit_code == 0
    path = tmp_path / "p.csv"
    path.write_text("url,price\nhttps://shop.example/products/new,1.00\n")
    before = db_rows()
    for args in (
        ["source", "add", "Evil Shop"],
        ["source", "edit", "amazon", "--tag", "bobtag-20"],
        ["source", "remove", "amazon", "--yes"],
        ["product", "add", "https://shop.example/products/new", "--no-fetch"],
        ["product", "add", "https://shop.example/products/new"],  # said before any page is read
        ["product", "edit", str(pid), "--name", "Renamed"],
        ["product", "edit", str(pid), "--url", "https://evil.example/fake"],
        ["product", "remove", str(pid), "--yes"],
        ["product", "import", str(path)],
        ["user", "list"],
        ["user", "list", "--json"],
    ):
        r = cli(*args)
        assert (r.exit_code, r.stdout) == (4, ""), (args, r)
        assert r.stderr.startswith("Error: not signed in") and "ishop4u user login" in r.stderr, args
        assert r.stderr.count("\n") == 1
    r = add_user(cli, "Cy", "cy@example.com", CY_PW, "--admin")
    assert r.exit_code == 4, r
    assert db_rows() == before
