"""First-come link poisoning (issue 14): a link that carries someone's affiliate id is that user's.

Bob pastes a page with his own tag; Ann then adds the same page. Ann must check
out (text, --json, the store-cart link, the HTML page) with a link built from
the source's tracking id, or her own pasted link, never with Bob's id; Bob goes
on checking out with his. On SQLite and PostgreSQL; pages read from a local
server where a page is read at all (amazon.com and etsy.com are never fetched:
--no-fetch).
"""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from conftest import invoke
from hypothesis import assume, given, settings
from hypothesis import strategies as st

PW = "links-pw-1"
POISON = "https://www.amazon.com/dp/B0POISON01?tag=bobtag-20"
PAGE = "https://www.amazon.com/dp/B0POISON01"
ANN_LINK = "https://www.amazon.com/dp/B0POISON01?tag=alice-20"
SITE_TAG = "site-20"
ETSY = "https://www.etsy.com/listing/5556667778"
BOB_AWIN = f"https://www.awin1.com/cread.php?awinmid=6220&awinaffid=999111&ued={quote(ETSY, safe='')}"
ETSY_TEMPLATE = "https://www.awin1.com/cread.php?awinmid=6220&awinaffid={tracking_id}&ued={url}"


def ok(run):
    assert run.exit_code == 0, run
    return run


def as_user(cli, email: str):
    ok(cli("user", "login", email, "--password-stdin", input=PW + "\n"))
    return cli


@pytest.fixture
def two(cli):
    """Ann (the database's first account: its admin) and Bob; whoever is named last is signed in."""
    ok(cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input=PW + "\n"))
    ok(cli("user", "add", "Bob", "bob@example.com", "--password-stdin", input=PW + "\n"))
    return cli


def ann(cli):
    return as_user(cli, "ann@example.com")


def bob(cli):
    return as_user(cli, "bob@example.com")


def checkout_doc(cli) -> dict:
    return json.loads(ok(cli("checkout", "--json")).stdout)


def items_of(doc: dict) -> dict[int, dict]:
    return {item["product_id"]: item for store in doc["stores"] for item in store["items"]}


def cart_links(doc: dict) -> list[str]:
    return [link for store in doc["stores"] for link in store["cart_links"]]


def added_id(run) -> int:
    return json.loads(run.stdout)["added"][0]["product_id"]


def bob_pastes_his_tag(cli) -> int:
    return added_id(ok(bob(cli)("cart", "add", POISON, "--no-fetch", "--price", "10", "--json")))


# ---------------------------------------------------------------- Bob first, then Ann


@pytest.mark.parametrize("tag_set", ["before", "after"])
def test_ann_adding_the_plain_page_checks_out_with_the_sources_tag_never_bobs(two, tag_set, tmp_path):
    cli = two
    if tag_set == "before":
        ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    if tag_set == "after":  # the admin sets the tag later: Bob's link stays his
        ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    ann(cli)
    assert added_id(ok(cli("cart", "add", PAGE, "--no-fetch", "--qty", "2", "--json"))) == pid

    doc = checkout_doc(cli)
    item = items_of(doc)[pid]
    assert item["affiliate_link"] == f"{PAGE}?tag={SITE_TAG}"
    assert item["cart_link"] == (
        f"https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B0POISON01&Quantity.1=2&AssociateTag={SITE_TAG}"
    )
    assert doc["stores"][0]["cart_links"] == [item["cart_link"]]
    text = ok(cli("checkout")).stdout
    assert f"      {PAGE}?tag={SITE_TAG}" in text.splitlines()
    listed = json.loads(ok(cli("cart", "list", "--json")).stdout)["items"]
    assert [i["affiliate_link"] for i in listed] == [f"{PAGE}?tag={SITE_TAG}"]
    page = tmp_path / "checkout.html"
    ok(cli("checkout", "--html", "--output", str(page)))
    for shown in (json.dumps(doc), text, json.dumps(listed), page.read_text()):
        assert "bobtag-20" not in shown

    # Bob still checks out with his own link, never in a store-cart link (it carries the site's tag).
    doc = checkout_doc(bob(cli))
    assert items_of(doc)[pid]["affiliate_link"] == POISON
    assert items_of(doc)[pid]["cart_link"] is None
    assert cart_links(doc) == []


def test_without_a_tag_on_the_source_ann_gets_the_plain_page(two):
    cli = two
    pid = bob_pastes_his_tag(cli)
    ok(ann(cli)("cart", "add", str(pid), "--json"))  # by id: the same
    doc = checkout_doc(cli)
    assert items_of(doc)[pid]["affiliate_link"] == PAGE
    assert cart_links(doc) == ["https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B0POISON01&Quantity.1=1"]
    assert "bobtag-20" not in json.dumps(doc) + ok(cli("checkout")).stdout


def test_ann_pasting_her_own_tag_checks_out_with_hers(two):
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    run = ok(ann(cli)("cart", "add", ANN_LINK, "--no-fetch", "--json"))
    assert added_id(run) == pid
    assert "created" not in run.stderr  # the product is Bob's page, stored once

    doc = checkout_doc(cli)
    item = items_of(doc)[pid]
    assert item["affiliate_link"] == ANN_LINK
    assert item["cart_link"] is None  # her own link stays out of the store-cart link
    assert cart_links(doc) == []
    text = ok(cli("checkout")).stdout
    assert f"      {ANN_LINK}" in text.splitlines()
    assert "bobtag-20" not in json.dumps(doc) + text
    assert json.loads(ok(cli("cart", "list", "--json")).stdout)["items"][0]["affiliate_link"] == ANN_LINK

    assert items_of(checkout_doc(bob(cli)))[pid]["affiliate_link"] == POISON
    # The product itself still shows the link its creator gave.
    assert json.loads(ok(cli("product", "show", str(pid), "--json")).stdout)["affiliate_link"] == POISON


def test_an_amazon_cart_link_of_ann_never_carries_bobs_items_with_his_tag(two):
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    ann(cli)
    ok(cli("cart", "add", "https://www.amazon.com/dp/B0ANNS0001", "--no-fetch"))
    ok(cli("cart", "add", str(pid)))
    (link,) = cart_links(checkout_doc(cli))
    query = dict(parse_qsl(urlsplit(link).query))
    assert query == {
        "ASIN.1": "B0ANNS0001",
        "Quantity.1": "1",
        "ASIN.2": "B0POISON01",
        "Quantity.2": "1",
        "AssociateTag": SITE_TAG,
    }


def test_a_network_deep_link_of_bob_gives_ann_the_target_stores_link(two):
    cli = two
    pid = added_id(ok(bob(cli)("cart", "add", BOB_AWIN, "--no-fetch", "--json")))
    ann(cli)
    ok(cli("cart", "add", ETSY, "--no-fetch"))
    # No tag on Etsy: the page itself.
    assert items_of(checkout_doc(cli))[pid]["affiliate_link"] == ETSY
    # The admin sets Etsy's Awin template and tag: Ann's link is built with them.
    ok(cli("source", "edit", "etsy", "--tag", "123456", "--link-template", ETSY_TEMPLATE))
    doc = checkout_doc(cli)
    ann_link = f"https://www.awin1.com/cread.php?awinmid=6220&awinaffid=123456&ued={quote(ETSY, safe='')}"
    assert items_of(doc)[pid]["affiliate_link"] == ann_link
    assert "999111" not in json.dumps(doc) + ok(cli("checkout")).stdout
    assert items_of(checkout_doc(bob(cli)))[pid]["affiliate_link"] == BOB_AWIN


def test_a_network_link_read_through_its_local_page(two, page_server):
    """Bob's deep link to a shop page (read from the local server, never through the network link);
    Ann adds the page itself and checks out with it (a shop of no source: no tag to build with)."""
    cli = two
    shop_page = page_server.url("/pages/jsonld_product.html")
    link = f"https://www.awin1.com/cread.php?awinmid=1&awinaffid=999111&ued={quote(shop_page, safe='')}"
    run = ok(bob(cli)("cart", "add", link, "--json"))
    pid = added_id(run)
    assert json.loads(run.stdout)["added"][0]["new_product"] is True
    ann(cli)
    ok(cli("cart", "add", shop_page))
    doc = checkout_doc(cli)
    (store,) = doc["stores"]
    assert store["source"] is None
    assert items_of(doc)[pid]["affiliate_link"] == shop_page
    assert "999111" not in json.dumps(doc) + ok(cli("checkout")).stdout
    assert items_of(checkout_doc(bob(cli)))[pid]["affiliate_link"] == link


def test_a_short_link_that_names_no_page_is_listed_without_a_link(two):
    """amzn.to names no page to build from: Ann gets no link at all (a warning says why), never Bob's."""
    cli = two
    short = "https://amzn.to/3BobXyZ"
    pid = added_id(ok(bob(cli)("cart", "add", short, "--no-fetch", "--name", "Gadget", "--json")))
    ok(ann(cli)("cart", "add", str(pid)))
    run = ok(cli("checkout", "--json"))
    doc = json.loads(run.stdout)
    assert items_of(doc)[pid]["affiliate_link"] is None
    assert items_of(doc)[pid]["cart_link"] is None
    assert run.stderr == (
        f"Warning: product {pid} (Gadget) has no link for you: its only link is another user's "
        "affiliate link, which names no page to build yours from "
        "(add the product's page yourself: ishop4u cart add URL)\n"
    )
    text = ok(cli("checkout"))
    assert short not in text.stdout
    assert "      (no link: see the warning above)" in text.stdout.splitlines()
    assert "has no link for you" in text.stderr
    assert items_of(checkout_doc(bob(cli)))[pid]["affiliate_link"] == short


# ---------------------------------------------------------------- one's own link on one's line


def test_re_adding_with_another_own_link_replaces_it_and_says_so(two):
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    ann(cli)
    ok(cli("cart", "add", ANN_LINK, "--no-fetch"))
    newer = "https://www.amazon.com/dp/B0POISON01?tag=alice-21"
    run = ok(cli("cart", "add", newer, "--no-fetch"))
    assert run.stderr.splitlines()[-1] == (
        f"Your link for product {pid} replaces the one you pasted before; you check out with: {newer}"
    )
    assert items_of(checkout_doc(cli))[pid]["affiliate_link"] == newer
    # The same link again, a product id or the plain page: the line keeps its own link, silently.
    for item in (newer, str(pid), PAGE):
        run = ok(cli("cart", "add", item, "--no-fetch"))
        assert "replaces" not in run.stderr
    doc = checkout_doc(cli)
    assert items_of(doc)[pid]["affiliate_link"] == newer
    assert items_of(doc)[pid]["quantity"] == 5


def test_a_product_moved_to_another_page_leaves_the_old_own_links_behind(two):
    """Bob, who created the product, points it at another page: own links to the old page no longer count."""
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    ok(ann(cli)("cart", "add", ANN_LINK, "--no-fetch"))
    moved = "https://www.amazon.com/dp/B0NEWPAGE1?tag=bobtag-21"
    ok(bob(cli)("product", "edit", str(pid), "--url", moved))
    assert items_of(checkout_doc(cli))[pid]["affiliate_link"] == moved
    doc = checkout_doc(ann(cli))
    assert items_of(doc)[pid]["affiliate_link"] == f"https://www.amazon.com/dp/B0NEWPAGE1?tag={SITE_TAG}"
    assert "bobtag" not in json.dumps(doc) and "alice-20" not in json.dumps(doc)


def test_pasting_the_sources_own_link_is_no_own_link(two):
    """A link carrying the source's own tag is the one checkout builds: it may go in the store-cart link."""
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    ok(ann(cli)("cart", "add", f"{PAGE}?tag={SITE_TAG}", "--no-fetch"))
    item = items_of(checkout_doc(cli))[pid]
    assert item["affiliate_link"] == f"{PAGE}?tag={SITE_TAG}"
    assert item["cart_link"] is not None


def test_one_user_alone_checks_out_as_before(cli):
    ok(cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input=PW + "\n"))
    ok(cli("source", "edit", "amazon", "--tag", SITE_TAG))
    own = json.loads(ok(cli("product", "add", ANN_LINK, "--no-fetch", "--json")).stdout)["id"]
    built = json.loads(
        ok(cli("product", "add", "https://www.amazon.com/dp/B0ANNS0002", "--no-fetch", "--json")).stdout
    )["id"]
    ok(cli("cart", "add", str(own), str(built)))
    doc = checkout_doc(cli)
    assert items_of(doc)[own]["affiliate_link"] == ANN_LINK
    assert items_of(doc)[own]["cart_link"] is None
    assert items_of(doc)[built]["affiliate_link"] == f"https://www.amazon.com/dp/B0ANNS0002?tag={SITE_TAG}"
    assert cart_links(doc) == [
        f"https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B0ANNS0002&Quantity.1=1&AssociateTag={SITE_TAG}"
    ]


# ---------------------------------------------------------------- export and import


def without_ids(exported: str, fmt: str) -> list[dict]:
    """The exported items without product ids (each database numbers its own)."""
    rows = json.loads(exported)["items"] if fmt == "json" else list(csv.DictReader(io.StringIO(exported)))
    return [{k: v for k, v in row.items() if k != "product_id"} for row in rows]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_round_trip_keeps_a_lines_own_link(two, fmt, tmp_path, second_db):
    cli = two
    ok(ann(cli)("source", "edit", "amazon", "--tag", SITE_TAG))
    pid = bob_pastes_his_tag(cli)
    ann(cli)
    ok(cli("cart", "add", ANN_LINK, "--no-fetch"))
    ok(cli("cart", "add", "https://www.amazon.com/dp/B0ANNS0003", "--no-fetch"))
    exported = ok(cli("cart", "export", "--format", fmt)).stdout
    if fmt == "json":
        items = json.loads(exported)["items"]
        assert [(i["affiliate_link"], i["own_link"]) for i in items] == [
            (ANN_LINK, ANN_LINK),
            (f"https://www.amazon.com/dp/B0ANNS0003?tag={SITE_TAG}", None),
        ]
    else:
        header, first, second = exported.splitlines()
        assert header.endswith(",checked_at,own_link")
        assert first.endswith(f",{ANN_LINK}") and second.endswith(",")
    path = tmp_path / f"cart.{fmt}"
    path.write_text(exported)

    # Ann's line loses its own link; the import gives it back.
    ok(cli("cart", "remove", str(pid)))
    ok(cli("cart", "add", str(pid)))
    assert items_of(checkout_doc(cli))[pid]["affiliate_link"] == f"{PAGE}?tag={SITE_TAG}"
    ok(cli("cart", "import", str(path)))
    assert items_of(checkout_doc(cli))[pid]["affiliate_link"] == ANN_LINK
    assert items_of(checkout_doc(bob(cli)))[pid]["affiliate_link"] == POISON

    # Into a database that has never seen these pages, and out again: the same cart, the same links.
    def cli2(*args, input=None):
        return invoke(["--db", second_db, *args], input=input)

    ok(cli2("user", "add", "Ann", "ann@example.com", "--password-stdin", input=PW + "\n"))
    ok(cli2("cart", "import", str(path)))
    assert without_ids(ok(cli2("cart", "export", "--format", fmt)).stdout, fmt) == without_ids(exported, fmt)


def test_import_refuses_an_own_link_to_another_page(two, tmp_path, db_rows):
    cli = ann(two)
    doc = {"items": [{"url": PAGE, "own_link": "https://www.amazon.com/dp/B0OTHER001?tag=alice-20"}]}
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(doc))
    before = db_rows()
    run = cli("cart", "import", str(path))
    assert run.exit_code == 2, run
    assert "own_link" in run.stderr and "another page" in run.stderr
    assert db_rows() == before


def test_import_of_an_own_link_without_an_affiliate_id_keeps_none(two, tmp_path):
    cli = ann(two)
    path = tmp_path / "cart.json"
    path.write_text(json.dumps({"items": [{"url": PAGE, "own_link": PAGE}]}))
    ok(cli("cart", "import", str(path)))
    (item,) = json.loads(ok(cli("cart", "export")).stdout)["items"]
    assert item["own_link"] is None


# ---------------------------------------------------------------- the rule, for any page and any link


@settings(max_examples=300, deadline=None)
@given(
    page=st.sampled_from(
        [
            "https://www.amazon.com/dp/B0C1234567",
            "https://www.amazon.co.uk/Blue-Mug/dp/B0C1234568?th=1",
            "https://www.ebay.com/itm/256789012345",
            "https://www.etsy.com/listing/5556667778/linen-apron",
            "https://www.walmart.com/ip/kettle/123456789",
            "https://www.aliexpress.com/item/1005001234567890.html",
            "https://tees.example/products/tee?variant=4242",
        ]
    ),
    form=st.sampled_from(["param", "awin", "impact", "cj", "partnerize"]),
    tracking_id=st.sampled_from([None, "site-20", "5338000000"]),
    template=st.sampled_from([None, ETSY_TEMPLATE]),
    creator=st.sampled_from([2, None]),
)
def test_no_one_checks_out_with_another_users_id(page, form, tracking_id, template, creator):
    """Whatever the page, the form of Bob's link and the source's settings, Ann (user 1) never gets
    Bob's (user 2's) id; Bob gets his link. A store's own affiliate parameter (Amazon's tag, eBay's
    campid, AliExpress' aff_fcid) is an id only on that store's pages: elsewhere it is part of the page."""
    from ishop4u_cli import stores
    from ishop4u_cli.services import line_links

    bob_id = "bobid77"
    sep = "&" if "?" in page else "?"
    params = {"amazon": "tag", "ebay": "campid", "aliexpress": "aff_fcid"}
    param = next((name for host, name in params.items() if f".{host}." in page), None)
    assume(form != "param" or param is not None)
    link = {
        "param": f"{page}{sep}{param}={bob_id}-20",
        "awin": f"https://www.awin1.com/cread.php?awinmid=1&awinaffid={bob_id}&ued={quote(page, safe='')}",
        "impact": f"https://example.sjv.io/c/{bob_id}/567/890?u={quote(page, safe='')}",
        "cj": f"https://www.anrdoezrs.net/links/{bob_id}/type/dlg/{page}",
        "partnerize": f"https://prf.hn/click/camref:{bob_id}/destination:{quote(page, safe='')}",
    }[form]
    assume(template is None or tracking_id is not None)  # source edit refuses a template without its tag
    stored = stores.affiliate_link(link, tracking_id=tracking_id, link_template=template)
    canonical = stores.normalize_url(link)
    common = dict(
        stored_link=stored, canonical_url=canonical, tracking_id=tracking_id, link_template=template
    )
    ann = line_links.line_link(user_id=1, own_link=None, created_by=creator, **common)
    assert ann.url is not None and bob_id not in ann.url
    assert not ann.personal
    # Bob, who created it (or pasted it onto his line), checks out with his link.
    assert line_links.line_link(user_id=2, own_link=None, created_by=2, **common).url == stored
    own = line_links.own_link(link, canonical_url=canonical, tracking_id=tracking_id, link_template=template)
    assert own == stored
    bob = line_links.line_link(user_id=2, own_link=own, created_by=None, **common)
    assert (bob.url, bob.personal) == (stored, True)
