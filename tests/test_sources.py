"""`ishop4u source ...` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

COMMON = {
    "Amazon": "amazon",
    "AliExpress": "aliexpress",
    "eBay": "ebay",
    "Walmart": "walmart",
    "Etsy": "etsy",
}


def sign_in(cli) -> None:
    r = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="secret-pw\n")
    assert r.exit_code == 0, r


def test_list_has_the_common_stores(cli):
    r = cli("source", "list", "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert {s["name"]: s["api_name"] for s in doc["sources"]} == COMMON
    amazon = next(s for s in doc["sources"] if s["name"] == "Amazon")
    assert amazon == {
        "id": amazon["id"],
        "name": "Amazon",
        "api_name": "amazon",
        "base_url": "https://www.amazon.com",
        "tracking_id": None,
        "link_template": None,
        "products": 0,
        "cart_items": 0,
    }
    table = cli("source", "list")
    assert table.exit_code == 0
    for name in COMMON:
        assert name in table.stdout
    assert "\x1b[" not in table.stdout


def test_add_show_and_conflicts(cli, signed_in, db_rows):
    r = cli("source", "add", "Corner Shop", "--api-name", "Corner", "--base-url", "https://corner.example")
    assert r.exit_code == 0, r
    assert "Added source" in r.stderr and "Corner Shop" in r.stderr
    shown = json.loads(cli("source", "show", "CORNER", "--json").stdout)
    assert shown["name"] == "Corner Shop"
    assert shown["api_name"] == "corner"
    assert shown["base_url"] == "https://corner.example"
    assert shown["products"] == 0
    assert json.loads(cli("source", "show", "corner shop", "--json").stdout)["id"] == shown["id"]

    before = db_rows()
    for args in (
        ["corner shop"],  # the same name, another case
        ["Other", "--api-name", "CORNER"],  # the same api name
        ["amazon"],  # a name that is another source's api name
        ["Shop 2", "--api-name", "etsy"],
    ):
        r = cli("source", "add", *args)
        assert r.exit_code == 6, (args, r)
        assert "already uses" in r.stderr
    for args in (["  "], ["X", "--base-url", "ftp://x"], ["X", "--api-name", "two words"]):
        r = cli("source", "add", *args)
        assert r.exit_code == 2, (args, r)
    assert db_rows() == before


def test_show_text_and_unknown(cli, signed_in):
    r = cli("source", "show", "ebay")
    assert r.exit_code == 0, r
    assert "eBay" in r.stdout and "products:      0" in r.stdout
    r = cli("source", "show", "no-such-store")
    assert r.exit_code == 3
    assert "'no-such-store'" in r.stderr
    for cmd in (["edit", "nope", "--tag", "x"], ["remove", "nope", "--yes"]):
        assert cli("source", *cmd).exit_code == 3


def test_edit_tag_rebuilds_our_links_and_keeps_the_users(cli, signed_in, engine):
    built = cli("product", "add", "https://www.amazon.com/dp/B000000001?psc=1", "--no-fetch", "--json")
    user_link = "https://www.amazon.com/dp/B000000002?tag=friend-20"
    given = cli("product", "add", user_link, "--no-fetch", "--json")
    assert built.exit_code == 0 and given.exit_code == 0, (built, given)
    built_id, given_id = json.loads(built.stdout)["id"], json.loads(given.stdout)["id"]

    r = cli("source", "edit", "AMAZON", "--tag", "mytag-20", "--json")
    assert r.exit_code == 0, r
    assert json.loads(r.stdout)["tracking_id"] == "mytag-20"
    assert ": tag" in r.stderr and "Rebuilt the affiliate links of 1 product" in r.stderr

    def link(pid):
        return json.loads(cli("product", "show", str(pid), "--json").stdout)["affiliate_link"]

    assert "tag=mytag-20" in link(built_id)
    assert link(given_id) == user_link

    assert cli("source", "edit", "amazon", "--tag", "other-21").exit_code == 0
    assert "tag=other-21" in link(built_id) and "mytag-20" not in link(built_id)
    assert link(given_id) == user_link

    # Adding later uses the tag too.
    later = json.loads(
        cli("product", "add", "https://www.amazon.com/dp/B000000003", "--no-fetch", "--json").stdout
    )
    assert "tag=other-21" in later["affiliate_link"]

    r = cli("source", "edit", "amazon", "--tag", "")
    assert r.exit_code == 0, r
    assert json.loads(cli("source", "show", "amazon", "--json").stdout)["tracking_id"] is None
    assert "tag=" not in link(built_id)
    assert link(given_id) == user_link


def test_edit_fields_and_errors(cli, signed_in, db_rows):
    r = cli(
        "source",
        "edit",
        "walmart",
        "--name",
        "Walmart US",
        "--base-url",
        "https://www.walmart.com/",
        "--link-template",
        "https://goto.walmart.com/c/1/2/3?u={url}",
    )
    assert r.exit_code == 0, r
    shown = json.loads(cli("source", "show", "walmart", "--json").stdout)
    assert shown["name"] == "Walmart US"
    assert shown["link_template"] == "https://goto.walmart.com/c/1/2/3?u={url}"
    r = cli("source", "edit", "walmart", "--name", "Walmart US")
    assert r.exit_code == 0 and "nothing changed" in r.stderr

    before = db_rows()
    assert cli("source", "edit", "walmart").exit_code == 2  # nothing to change
    assert cli("source", "edit", "walmart", "--name", "etsy").exit_code == 6
    assert cli("source", "edit", "walmart", "--api-name", "Amazon").exit_code == 6
    assert cli("source", "edit", "walmart", "--base-url", "not a url").exit_code == 2
    assert cli("source", "edit", "walmart", "--tag", "has space").exit_code == 2
    assert db_rows() == before


def test_remove_asks_first_and_cascades(cli, engine, db_rows):
    sign_in(cli)
    assert cli("product", "add", "https://www.etsy.com/listing/11/mug", "--no-fetch").exit_code == 0
    assert cli("product", "add", "https://www.etsy.com/listing/12/cup", "--no-fetch").exit_code == 0
    ebay = json.loads(cli("product", "add", "https://www.ebay.com/itm/99", "--no-fetch", "--json").stdout)
    r = cli("cart", "add", "https://www.etsy.com/listing/11/mug", str(ebay["id"]), "--no-fetch")
    assert r.exit_code == 0, r

    before = db_rows()
    r = cli("source", "remove", "etsy")  # no terminal: no prompt, no change
    assert r.exit_code == 2
    assert "--yes" in r.stderr and "2 products and 1 cart item" in r.stderr
    assert db_rows() == before

    r = cli("source", "remove", "Etsy", "--yes")
    assert r.exit_code == 0, r
    assert "2 products and 1 cart item" in r.stderr
    after = db_rows()
    assert len(after["affiliate_sources"]) == len(before["affiliate_sources"]) - 1
    assert len(after["products"]) == 1  # the eBay product stays
    assert len(after["cart_items"]) == 1
    assert cli("source", "show", "etsy").exit_code == 3


@pytest.mark.parametrize("yes", ["--yes", "-y"])
def test_remove_empty_source(cli, signed_in, yes):
    assert cli("source", "add", "Tmp").exit_code == 0
    r = cli("source", "remove", "tmp", yes)
    assert r.exit_code == 0, r
    assert "0 products and 0 cart items" in r.stderr


# ---------------------------------------------------------------- link templates are checked (issue 10)

AWIN_ETSY = "https://www.awin1.com/cread.php?awinmid=6220&awinaffid={tracking_id}&ued={url}"


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["--link-template", "not a template"], "{url}"),
        (["--link-template", "ftp://x.example/?u={url}"], "not an http or https URL"),
        (["--link-template", "https://x.example/?u={link}"], "unknown placeholder {link}"),
        (["--link-template", "{url}"], "not an http or https URL"),
        (["--link-template", "https://www.awin1.com/cread.php?awinmid=6220&awinaffid=1"], "{url}"),
        # The source has a tag (given now, or before): a template without {tracking_id} would drop it.
        (
            ["--tag", "123456", "--link-template", "https://www.awin1.com/cread.php?ued={url}"],
            "{tracking_id}",
        ),
    ],
)
def test_edit_refuses_a_link_template_that_cannot_make_links(cli, signed_in, db_rows, args, why):
    before = db_rows()
    r = cli("source", "edit", "etsy", *args)
    assert r.exit_code == 2, r
    assert r.stderr.startswith("Error: ") and why in r.stderr
    assert db_rows() == before


def test_a_tag_set_later_must_fit_the_template(cli, signed_in, db_rows):
    r = cli("source", "edit", "etsy", "--link-template", "https://www.awin1.com/cread.php?ued={url}")
    assert r.exit_code == 0, r  # no tag: a template without {tracking_id} is fine
    before = db_rows()
    r = cli("source", "edit", "etsy", "--tag", "123456")
    assert r.exit_code == 2 and "{tracking_id}" in r.stderr, r
    assert db_rows() == before
    r = cli("source", "edit", "etsy", "--tag", "123456", "--link-template", AWIN_ETSY)
    assert r.exit_code == 0, r
    r = cli("source", "edit", "etsy", "--link-template", "")  # clearing a template is always fine
    assert r.exit_code == 0, r


def test_add_checks_its_link_template_too(cli, signed_in, db_rows):
    before = db_rows()
    for args in (
        ["--link-template", "not a template"],
        ["--tag", "42", "--link-template", "https://net.example/c?u={url}"],
    ):
        r = cli("source", "add", "Some Store", *args)
        assert r.exit_code == 2, r
    assert db_rows() == before
    r = cli(
        "source",
        "add",
        "Some Store",
        "--tag",
        "42",
        "--link-template",
        "https://net.example/c/{tracking_id}?u={url}",
    )
    assert r.exit_code == 0, r
    shown = json.loads(cli("source", "show", "some store", "--json").stdout)
    assert (shown["tracking_id"], shown["link_template"]) == (
        "42",
        "https://net.example/c/{tracking_id}?u={url}",
    )


def test_api_names_and_tags_are_one_word(cli, signed_in):
    for option, what in (("--api-name", "an api name"), ("--tag", "a tracking id")):
        r = cli("source", "add", "Some Store", option, "two words")
        assert r.exit_code == 2, r
        assert r.stderr.strip() == f"Error: {what} is one word of at most 100 characters: 'two words'"
