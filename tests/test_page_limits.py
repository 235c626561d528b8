"""Pages that would cost unbounded time, and redirects into the local network (issue 14).

A whole read (connect, headers, each redirect, the body, the parsing) has one deadline;
the tests set it to about a second (`timeout=` or ISHOP4U_PAGE_TIMEOUT). A redirect from a
public page may not reach a loopback, private or link-local address; the tests serve their
"public" pages from 127.0.0.2, named in ISHOP4U_INSECURE_PUBLIC_ADDRESSES_FOR_TESTS.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from urllib.parse import quote

import pytest
from pageserver import serve_pages

from ishop4u_cli.services import page_data, page_markup, page_network
from ishop4u_cli.services.pages import PageInfo, fetch_page_info

# ------------------------------------------------------------------ one deadline for the whole read


def test_headers_dribbled_one_byte_at_a_time_end_at_the_deadline(page_server):
    started = time.monotonic()
    info = fetch_page_info(page_server.url("/trickle-headers"), timeout=1)
    assert info == PageInfo(problems=["the page did not answer within 1 s"])
    assert time.monotonic() - started < 5  # not hours: one deadline, not one per read


def test_slow_redirects_share_one_deadline(page_server):
    # Five hops of 0.4 s each: every hop is quick enough alone, all of them are not.
    started = time.monotonic()
    info = fetch_page_info(page_server.url("/slow-redirect/5/pages/opengraph_product.html"), timeout=1)
    assert info == PageInfo(problems=["the page did not answer within 1 s"])
    assert time.monotonic() - started < 5


def test_slow_redirects_within_the_deadline_are_followed(page_server):
    info = fetch_page_info(page_server.url("/slow-redirect/2/pages/opengraph_product.html"), timeout=10)
    assert (info.name, info.price, info.problems) == ("Swiss Army Knife Classic SD", Decimal("49.90"), [])


def test_the_deadline_comes_from_the_environment(page_server, monkeypatch):
    from ishop4u_cli.services.pages import read_timeout

    assert read_timeout() == 15
    monkeypatch.setenv("ISHOP4U_PAGE_TIMEOUT", "1")
    assert fetch_page_info(page_server.url("/trickle-headers")).problems == [
        "the page did not answer within 1 s"
    ]
    for bad in ("0", "-3", "soon", "nan"):
        monkeypatch.setenv("ISHOP4U_PAGE_TIMEOUT", bad)
        assert read_timeout() == 15


def test_product_add_of_a_dribbling_page_saves_the_product_in_time(cli, signed_in, page_server):
    url = page_server.url("/trickle-headers")
    r = cli("product", "add", url, "--json", env={"ISHOP4U_PAGE_TIMEOUT": "1"})
    assert r.exit_code == 0, r
    assert "the page did not answer within 1 s" in r.stderr
    assert json.loads(r.stdout)["url"] == url


# ------------------------------------------------------------------ structured data that multiplies


def test_json_ld_offers_pointing_at_each_other_are_followed_once(page_server):
    # 4 references a level, 30 levels: 4**30 paths, 31 offers.
    info = fetch_page_info(page_server.url("/generated/jsonld-id-lattice?levels=30"), timeout=10)
    assert info == PageInfo(name="Lattice Lamp", problems=["no price found on the page"])


def test_json_ld_offers_in_a_cycle():
    block = json.dumps(
        [
            {"@type": "Product", "name": "Loop", "offers": {"@id": "#a"}},
            {"@id": "#a", "@type": "AggregateOffer", "offers": [{"@id": "#b"}]},
            {"@id": "#b", "@type": "AggregateOffer", "offers": [{"@id": "#a"}]},
        ]
    )
    info = page_data.read_page(f'<script type="application/ld+json">{block}</script>', "https://x.example/")
    assert (info.name, info.price) == ("Loop", None)


def test_microdata_offers_nested_ten_thousand_deep(page_server):
    info = fetch_page_info(page_server.url("/generated/microdata-nested-offers?n=10000"), timeout=10)
    assert (info.name, info.price, info.currency, info.problems) == (
        "Nesting Dolls",
        Decimal("9.00"),
        "EUR",
        [],
    )


def test_each_reader_visits_a_bounded_number_of_items():
    from selectolax.lexbor import LexborHTMLParser

    block = json.dumps({"@type": "Product", "name": "Many", "offers": [{"price": "1"}] * 50})
    tree = LexborHTMLParser(f'<script type="application/ld+json">{block}</script>')
    found = page_markup.read_with(
        lambda t, _budget: page_markup.from_json_ld(t, page_markup.Budget(nodes=20)), tree, None, "JSON-LD"
    )
    assert found.problems == ["the page's JSON-LD was not read: more than 20 items of structured data"]


def test_parsing_stops_at_the_deadline_and_other_markup_still_counts():
    html = (
        '<div itemscope itemtype="https://schema.org/Product">'
        + "<div>" * 3000
        + '<span itemprop="name">Deep</span>'
        + "</div>" * 3001
        + '<meta property="og:title" content="From OpenGraph">'
    )
    info = page_data.read_page(html, "https://x.example/", deadline=time.monotonic() - 1)
    assert info.name == "From OpenGraph"
    assert "the page's microdata was not read: it took longer than the time allowed" in info.problems
    assert page_data.read_page(html, "https://x.example/").name == "Deep"  # in time, it is read


# ------------------------------------------------------------------ redirects into the local network


@pytest.fixture(scope="module")
def public_server():
    """Pages on 127.0.0.2, which the tests (only they) treat as a public internet address."""
    with serve_pages("127.0.0.2") as server:
        yield server


@pytest.fixture
def treat_as_public(monkeypatch):
    monkeypatch.setenv(page_network.TEST_PUBLIC_ADDRESSES, "127.0.0.2")


def redirect_from(server, target: str) -> str:
    return server.url("/redirect-to?to=" + quote(target, safe=""))


@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1:{port}/pages/opengraph_product.html",
        "http://localhost:{port}/pages/opengraph_product.html",
        "http://[::1]:{port}/pages/opengraph_product.html",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://192.168.1.1/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://0.0.0.0:{port}/",
    ],
)
def test_a_public_page_may_not_redirect_into_the_local_network(
    public_server, page_server, treat_as_public, target
):
    target = target.format(port=page_server.base.rsplit(":", 1)[1])
    info = fetch_page_info(redirect_from(public_server, target), timeout=5)
    assert info == PageInfo(
        problems=[f"redirected to {target!r}: a local network address, not a public page"]
    )


def test_a_public_page_may_redirect_to_a_public_page(public_server, treat_as_public):
    info = fetch_page_info(redirect_from(public_server, public_server.url("/pages/opengraph_product.html")))
    assert (info.name, info.problems) == ("Swiss Army Knife Classic SD", [])


def test_a_local_url_the_user_typed_is_read_and_may_redirect_locally(public_server, page_server):
    # Without the test setting, 127.0.0.2 is what it is: a local address the user chose.
    info = fetch_page_info(redirect_from(public_server, page_server.url("/pages/opengraph_product.html")))
    assert (info.name, info.problems) == ("Swiss Army Knife Classic SD", [])


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch):
    # A name that resolved to a public address for the check and to a local one for the
    # connection (DNS rebinding) is refused when the connection is made.
    guard = page_network.Guard(time.monotonic() + 5, 5)
    guard.allow_local, guard.target_host = False, "127.0.0.1"
    with pytest.raises(page_network.ReadRefused, match="a local network address"):
        page_network.GuardedBackend(guard).connect_tcp("127.0.0.1", 9)


def test_product_add_keeps_the_product_and_warns(
    cli, signed_in, public_server, page_server, treat_as_public, db_rows
):
    target = page_server.url("/pages/opengraph_product.html")
    r = cli("product", "add", redirect_from(public_server, target), "--json")
    assert r.exit_code == 0, r
    assert "a local network address, not a public page" in r.stderr
    product = json.loads(r.stdout)
    assert product["name"] != "Swiss Army Knife Classic SD" and product["price"] is None


def test_a_huge_price_text_is_refused_without_parsing_it():
    # price-parser needs about a minute for 100,000 characters.
    html = '<title>Long</title><span itemprop="price">' + "1 " * 50_000 + "</span>"
    started = time.monotonic()
    info = page_data.read_page(html, "https://x.example/")
    assert time.monotonic() - started < 5
    assert info.price is None
    assert info.problems == [
        f"the page's price {'1 ' * 32 + '...'!r} is not a usable price (at most 2 decimals)"
    ]


def test_wrappers_are_taken_off_a_bounded_number_of_times():
    from ishop4u_cli.services.page_markup import json_ld_values

    started = time.monotonic()
    values, broken = json_ld_values("<!--" * 200_000 + '{"a": 1}' + "-->" * 200_000)
    assert time.monotonic() - started < 5
    assert values == [] and broken is not None
