"""Affiliate network deep links a user pasted (issue 10): kept byte-for-byte, filed under the store
they lead to, and read and named through the page they name, never by following the link itself
(a click on the user's own link, counted by the network).

Fetches go through a local recording proxy (http_proxy/https_proxy, which httpx honours), as in
test_paste_urls.py: a plain-http page is answered from here; an https page asks for a CONNECT
tunnel, which is refused, but the proxy has seen which host the fetch asked for.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ishop4u_cli import stores
from ishop4u_cli.services import products as products_service

PAGE = b"""<html><head><title>x</title><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Linen Apron, natural",
 "offers": {"@type": "Offer", "price": "31.00", "priceCurrency": "EUR"}}
</script></head><body>apron</body></html>"""


class RecordingProxy(BaseHTTPRequestHandler):
    """Answers every proxied plain-http GET with one product page; refuses tunnels; records both."""

    protocol_version = "HTTP/1.1"
    seen: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_CONNECT(self) -> None:
        self.seen.append(f"CONNECT {self.path}")
        self.answer(405, b"no tunnels in tests")

    def do_GET(self) -> None:
        self.seen.append(self.path)
        self.answer(200, PAGE)

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def proxy_server() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (RecordingProxy,), {"seen": seen}))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def seen(proxy_server, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every request of this test goes to the recording proxy; the list of what it was asked."""
    address, requests = proxy_server
    for var in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.setenv(var, address)
        monkeypatch.setenv(var.upper(), address)
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    requests.clear()
    return requests


def asked_host(request: str) -> str:
    """The host a proxied request asked for: `GET http://host/...` or `CONNECT host:443`."""
    if request.startswith("CONNECT "):
        return request.removeprefix("CONNECT ").rsplit(":", 1)[0]
    return urlsplit(request).hostname or ""


# ---------------------------------------------------------------- every network form, one table

APRON = "https://www.etsy.com/listing/5556667778/linen-apron"
ENC = quote(APRON, safe="")
FORMS = {
    "impact": f"https://example.sjv.io/c/1234/567/890?u={ENC}&subId1=x",
    "awin": f"https://www.awin1.com/cread.php?awinmid=6220&awinaffid=111&ued={ENC}",
    "rakuten": f"https://click.linksynergy.com/deeplink?id=AbC&mid=1&murl={ENC}",
    "cj query": f"https://www.anrdoezrs.net/click-123-456?url={ENC}",
    "cj path": f"https://www.anrdoezrs.net/links/7654321/type/dlg/{APRON}",
    "cj path with sid": f"https://www.tkqlhce.com/links/7654321/type/dlg/sid/my-sid/{APRON}?variation=2",
    "shareasale": f"https://shareasale.com/r.cfm?b=1&u=2&m=3&urllink={quote(APRON[8:], safe='')}&afftrack=",
    "sovrn": f"https://redirect.viglink.com?key=abc&u={ENC}",
    "partnerize": f"https://prf.hn/click/camref:1101l3/pubref:x/destination:{ENC}",
    "partnerize plain": f"https://prf.hn/click/camref:1101l3/destination:{APRON}",
}


@pytest.mark.parametrize("link", FORMS.values(), ids=FORMS.keys())
def test_every_network_form_is_kept_filed_under_its_store_and_read_through_its_page(link):
    assert stores.affiliate_link(link, tracking_id="mine") == link
    assert stores.store_for_url(link).api_name == "etsy"
    assert stores.normalize_url(link) == "https://www.etsy.com/listing/5556667778"
    assert urlsplit(stores.page_to_read(link) or "").hostname == "www.etsy.com"
    assert products_service.name_from_url(link) == "linen apron"


def test_cj_path_form_keeps_the_destinations_own_query():
    link = "https://www.jdoqocy.com/links/1/type/dlg/sid/s1/https://shop.example/p?id=7&color=red"
    assert stores.page_to_read(link) == "https://shop.example/p?id=7&color=red"
    assert stores.normalize_url(link) == "https://shop.example/p?color=red&id=7"


def test_names_come_from_the_page_behind_the_link_not_the_network():
    etsy = quote("https://www.etsy.com/listing/5556667778", safe="")
    awin = f"https://www.awin1.com/cread.php?awinmid=1&awinaffid=2&ued={etsy}"
    assert products_service.name_from_url(awin) == "etsy.com product 5556667778"
    amazon = quote("https://smile.amazon.co.uk/dp/B08N5WRWNW", safe="")
    assert products_service.name_from_url(f"https://prf.hn/click/camref:1/destination:{amazon}") == (
        "amazon.co.uk product B08N5WRWNW"
    )


def test_a_redirect_that_names_no_page_is_never_followed(seen):
    new = products_service.parse_new_product("https://amzn.to/3xYzAbC")
    filled, problems = products_service.fill_from_page(new)
    assert seen == []
    assert filled == new
    assert problems == [products_service.NOT_READ]


# ---------------------------------------------------------------- the property

STORE_PAGES = st.one_of(
    st.builds(
        lambda domain, asin: (f"www.{domain}", f"/dp/{asin}", "amazon"),
        st.sampled_from(["amazon.com", "amazon.co.uk", "amazon.de", "amazon.co.jp"]),
        st.from_regex(r"B0[A-Z0-9]{8}", fullmatch=True),
    ),
    st.builds(
        lambda domain, item: (f"www.{domain}", f"/itm/{item}", "ebay"),
        st.sampled_from(["ebay.com", "ebay.co.uk", "ebay.de"]),
        st.integers(100_000_000_000, 999_999_999_999),
    ),
    st.builds(lambda n: ("www.etsy.com", f"/listing/{n}/a-mug", "etsy"), st.integers(10_000, 10**12)),
    st.builds(lambda n: ("www.walmart.com", f"/ip/Some-Thing/{n}", "walmart"), st.integers(10_000, 10**12)),
    st.builds(lambda n: ("www.aliexpress.com", f"/item/{n}.html", "aliexpress"), st.integers(10**6, 10**15)),
)


def wrap(form: str, target: str) -> str:
    enc = quote(target, safe="")
    return {
        "impact": f"https://brand.sjv.io/c/1/2/3?u={enc}",
        "awin": f"https://www.awin1.com/cread.php?awinmid=1&awinaffid=2&ued={enc}",
        "rakuten": f"https://click.linksynergy.com/deeplink?id=x&mid=1&murl={enc}",
        "cj query": f"https://www.kqzyfj.com/click-1-2?url={enc}",
        "cj path": f"https://www.dpbolvw.net/links/1/type/dlg/sid/x/{target}",
        "shareasale": f"https://shareasale.com/r.cfm?b=1&u=2&m=3&urllink={enc}",
        "sovrn": f"https://redirect.viglink.com?key=k&u={enc}",
        "partnerize": f"https://prf.hn/click/camref:1a2b/destination:{enc}",
    }[form]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    page=STORE_PAGES,
    scheme=st.sampled_from(["http", "https"]),
    query=st.sampled_from(["", "?th=1", "?utm_source=x&psc=1"]),
    form=st.sampled_from(
        ["impact", "awin", "rakuten", "cj query", "cj path", "shareasale", "sovrn", "partnerize"]
    ),
)
def test_any_network_link_to_a_store_page_is_kept_filed_and_read_through_that_page(
    seen, page, scheme, query, form
):
    host, path, api_name = page
    target = f"{scheme}://{host}{path}{query}"
    link = wrap(form, target)

    new = products_service.parse_new_product(link)
    assert new.url == link
    assert stores.affiliate_link(link, tracking_id="someone-else") == link
    assert stores.store_for_url(link).api_name == api_name
    assert new.canonical_url == stores.normalize_url(target)

    seen.clear()
    products_service.fill_from_page(new)
    assert [asked_host(request) for request in seen] == [host]
    if scheme == "http":
        assert seen == [target]


# ---------------------------------------------------------------- end to end, both databases


def test_product_add_reads_the_page_a_network_link_names(cli, signed_in, seen, db_rows):
    page = "http://www.etsy.com/listing/5556667778/linen-apron?ref=x"
    link = f"https://www.awin1.com/cread.php?awinmid=6220&awinaffid=111&ued={quote(page, safe='')}"
    r = cli("product", "add", link, "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert seen == [page]
    assert (doc["name"], doc["price"], doc["currency"], doc["source"]) == (
        "Linen Apron, natural",
        "31.00",
        "EUR",
        "Etsy",
    )
    assert doc["affiliate_link"] == link
    assert doc["url"] == "https://www.etsy.com/listing/5556667778"


@pytest.mark.parametrize(
    ("link", "source", "name", "url"),
    [
        (
            "https://prf.hn/click/camref:1101l3/destination:https%3A%2F%2Fwww.amazon.co.uk%2Fdp%2FB08N5WRWNW",
            "Amazon",
            "amazon.co.uk product B08N5WRWNW",
            "https://www.amazon.co.uk/dp/B08N5WRWNW",
        ),
        (
            "https://www.anrdoezrs.net/links/7654321/type/dlg/sid/s/https://www.ebay.com/itm/256789012345",
            "eBay",
            "ebay.com product 256789012345",
            "https://www.ebay.com/itm/256789012345",
        ),
    ],
)
def test_partnerize_and_cj_path_links_are_unwrapped(cli, signed_in, link, source, name, url):
    r = cli("product", "add", link, "--no-fetch", "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert (doc["source"], doc["name"], doc["url"], doc["affiliate_link"]) == (source, name, url, link)
    again = cli("product", "add", url, "--no-fetch", "--json")  # the plain page is the same product
    assert json.loads(again.stdout)["id"] == doc["id"]
