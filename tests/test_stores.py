"""Store knowledge: recognising URLs, product ids, normalization, affiliate links, cart links."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ishop4u_cli import stores
from ishop4u_cli.errors import UsageError
from ishop4u_cli.stores import (
    CartLinkItem,
    affiliate_link,
    amazon,
    ebay,
    normalize_url,
    product_id,
    registry,
    store_for_url,
)
from ishop4u_cli.stores.urls import check_link_template

AWIN = "https://www.awin1.com/cread.php?awinmid=6220&awinaffid={tracking_id}&ued={url}"
IMPACT = "https://goto.walmart.com/c/{tracking_id}/568844/9383?veh=aff&u={url}"

# ------------------------------------------------------------------ check_url


@pytest.mark.parametrize(
    "bad", ["", "amazon.com/dp/B00ABCDEFG", "ftp://amazon.com/x", "mailto:a@b.c", "https://", "http://[::1"]
)
def test_check_url_refuses_what_is_not_http_with_a_host(bad):
    with pytest.raises(UsageError) as info:
        stores.check_url(bad)
    assert repr(bad.strip()) in str(info.value)


def test_check_url_strips():
    assert stores.check_url("  https://shop.example/p \n") == "https://shop.example/p"


# ------------------------------------------------------------------ recognition and product ids

RECOGNISED = [
    # Amazon: regional domains, www./smile./m., every product path form
    ("https://www.amazon.com/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://amazon.com/Echo-Dot/dp/B08N5WRWNW/ref=sr_1_1?keywords=echo", "amazon", "B08N5WRWNW"),
    ("https://smile.amazon.com/gp/product/B08N5WRWNW?psc=1", "amazon", "B08N5WRWNW"),
    ("https://m.amazon.co.uk/gp/aw/d/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.de/dp/product/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.fr/Some-Slug/dp/b08n5wrwnw", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.it/dp/8804668237", "amazon", "8804668237"),
    ("https://www.amazon.es/dp/B08N5WRWNW?th=1", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.ca/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.co.jp/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.in/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.com.au/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.com.mx/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.com.br/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.nl/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.se/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.pl/dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://WWW.AMAZON.COM./dp/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.com/gp/offer-listing/B08N5WRWNW", "amazon", "B08N5WRWNW"),
    ("https://www.amazon.com/s?k=mug", "amazon", None),
    ("https://www.amazon.com/dp/B08N5WRWN", "amazon", None),  # nine characters: not an ASIN
    ("https://www.amazon.com/dp/B08N5WRWNWX", "amazon", None),  # eleven
    ("https://amzn.to/3xYzAbC", "amazon", None),
    ("https://a.co/d/abc1234", "amazon", None),
    # AliExpress
    ("https://www.aliexpress.com/item/1005006123456789.html", "aliexpress", "1005006123456789"),
    ("https://de.aliexpress.com/item/1005006123456789.html?spm=a2g0o", "aliexpress", "1005006123456789"),
    ("https://m.aliexpress.com/item/1005006123456789.html", "aliexpress", "1005006123456789"),
    ("https://m.aliexpress.com/i/1005006123456789.html", "aliexpress", "1005006123456789"),
    ("https://www.aliexpress.us/item/3256805123456789.html", "aliexpress", "3256805123456789"),
    ("https://aliexpress.ru/item/1005006123456789.html", "aliexpress", "1005006123456789"),
    ("https://www.aliexpress.com/item/Some-Slug/32812345678.html", "aliexpress", "32812345678"),
    ("https://www.aliexpress.com/store/1101234", "aliexpress", None),
    ("https://s.click.aliexpress.com/e/_DdABcDe", "aliexpress", None),
    # eBay
    ("https://www.ebay.com/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.com/itm/Vintage-Camera-35mm/256123456789?hash=item3b", "ebay", "256123456789"),
    ("https://ebay.co.uk/itm/256123456789", "ebay", "256123456789"),
    ("https://m.ebay.de/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.fr/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.it/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.es/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.ca/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.com.au/itm/256123456789", "ebay", "256123456789"),
    ("https://befr.ebay.be/itm/256123456789", "ebay", "256123456789"),
    ("https://www.ebay.com/p/12345678", "ebay", None),
    ("https://ebay.us/m/AbCdEf", "ebay", None),
    # Walmart
    ("https://www.walmart.com/ip/Cordless-Drill-20V/123456789", "walmart", "123456789"),
    ("https://www.walmart.com/ip/123456789?athbdg=L1600", "walmart", "123456789"),
    ("https://www.walmart.ca/en/ip/cordless-drill/6000201234567", "walmart", "6000201234567"),
    ("https://www.walmart.ca/fr/ip/perceuse/PRD5QNF0AXQ4X2V", "walmart", "PRD5QNF0AXQ4X2V"),
    ("https://www.walmart.com/browse/tools/1072864", "walmart", None),
    # Etsy
    ("https://www.etsy.com/listing/1234567890/handmade-linen-apron", "etsy", "1234567890"),
    ("https://etsy.com/uk/listing/1234567890/handmade-linen-apron?ref=hp_rv", "etsy", "1234567890"),
    ("https://www.etsy.com/listing/1234567890", "etsy", "1234567890"),
    ("https://www.etsy.com/shop/LinenWorks", "etsy", None),
    # any other shop; Shopify variants are the one id a shop's URL is known to carry
    ("https://shop.example/products/blue-mug?variant=40123456789", "generic", "40123456789"),
    ("https://shop.example/collections/mugs/products/blue-mug?variant=40123456789", "generic", "40123456789"),
    ("https://shop.example/products/blue-mug", "generic", None),
    ("https://shop.example/p/blue-mug?variant=abc", "generic", None),
]

LOOKALIKES = [
    "https://notamazon.com/dp/B08N5WRWNW",
    "https://amazon.com.evil.io/dp/B08N5WRWNW",
    "https://www.amazon.com.evil.io/dp/B08N5WRWNW",
    "https://evil.io/www.amazon.com/dp/B08N5WRWNW",
    "https://amazon.com@evil.io/dp/B08N5WRWNW",
    "https://amazon.example/dp/B08N5WRWNW",
    "https://myebay.com/itm/256123456789",
    "https://ebay.com.evil.io/itm/256123456789",
    "https://fakealiexpress.com/item/1005006123456789.html",
    "https://walmart.com.shop.example/ip/123456789",
    "https://notetsy.com/listing/1234567890",
]


@pytest.mark.parametrize(("url", "api_name", "expected_id"), RECOGNISED)
def test_store_and_product_id(url, api_name, expected_id):
    store = store_for_url(url)
    assert store.api_name == api_name
    assert store.product_id(url) == expected_id
    assert product_id(url) == expected_id


@pytest.mark.parametrize("url", LOOKALIKES)
def test_lookalike_hosts_are_not_the_store(url):
    store = store_for_url(url)
    assert store.api_name == "generic"
    assert store is registry.GENERIC
    assert store.product_id(url) is None


def test_stores_are_filed_under_the_seeded_sources_api_names():
    """Each store's api_name is the affiliate source its products go to (migration 0003 seeds
    them); Shopify shops, like any other shop, have none ('generic')."""
    assert [s.api_name for s in [*registry.STORES, registry.GENERIC]] == [
        "amazon",
        "aliexpress",
        "ebay",
        "walmart",
        "etsy",
        "generic",
        "generic",
    ]


def test_shopify_is_tried_before_the_generic_fallback():
    shopify = store_for_url("https://shop.example/products/blue-mug?variant=401")
    assert shopify is registry.STORES[-1] and shopify is not registry.GENERIC
    assert store_for_url("https://shop.example/products/blue-mug") is registry.GENERIC
    # a store recognised by its host keeps its pages, whatever their shape
    assert store_for_url("https://www.amazon.com/products/mug?variant=401").api_name == "amazon"


@pytest.mark.parametrize(
    ("store", "host"),
    [pytest.param(store, host, id=host) for store in registry.STORES for host in store.hosts],
)
def test_every_host_in_a_stores_table_is_that_stores(store, host):
    assert store_for_url(f"https://{host}/x") is store
    assert store_for_url(f"https://m.{host}/x") is store


def test_network_redirects_belong_to_the_store_they_lead_to():
    awin = AWIN.format(tracking_id="999", url=quote("https://www.etsy.com/listing/1234567890/apron", safe=""))
    linksynergy = "https://click.linksynergy.com/deeplink?id=abc&mid=1&murl=" + quote(
        "https://www.walmart.com/ip/123456789", safe=""
    )
    assert (store_for_url(awin).api_name, product_id(awin)) == ("etsy", "1234567890")
    assert (store_for_url(linksynergy).api_name, product_id(linksynergy)) == ("walmart", "123456789")


# ------------------------------------------------------------------ normalization

NORMALIZED = [
    (
        "http://smile.amazon.co.uk/Echo-Dot/dp/b08n5wrwnw/ref=sr_1_1?keywords=echo&pd_rd_r=1&pf_rd_p=2&tag=x-21#reviews",
        "https://www.amazon.co.uk/dp/B08N5WRWNW",
    ),
    (
        "https://www.amazon.com/gp/aw/d/B08N5WRWNW/ref=ox_sc?psc=1&th=1&linkCode=ll1",
        "https://www.amazon.com/dp/B08N5WRWNW",
    ),
    ("https://www.amazon.com/s/ref=nb_sb?k=blue+mug&crid=1&sprefix=x", "https://www.amazon.com/s?k=blue+mug"),
    ("https://amzn.to/3xYzAbC?x=1", "https://amzn.to/3xYzAbC"),
    (
        "https://de.aliexpress.com/item/1005006123456789.html?spm=a2g0o.1&algo_pvid=2&pdp_ext_f=3&gatewayAdapt=glo2deu",
        "https://www.aliexpress.com/item/1005006123456789.html",
    ),
    (
        "https://m.aliexpress.com/i/1005006123456789.html",
        "https://www.aliexpress.com/item/1005006123456789.html",
    ),
    (
        "https://aliexpress.us/item/3256805123456789.html?gclid=1",
        "https://www.aliexpress.us/item/3256805123456789.html",
    ),
    (
        "https://aliexpress.ru/item/1005006123456789.html?sku_id=1",
        "https://aliexpress.ru/item/1005006123456789.html",
    ),
    (
        "https://m.ebay.de/itm/Vintage-Camera/256123456789?_trkparms=a&_trksid=p1&hash=item3b&mkcid=1&campid=1",
        "https://www.ebay.de/itm/256123456789",
    ),
    (
        "https://www.ebay.com/itm/256123456789?var=550123&amdata=x",
        "https://www.ebay.com/itm/256123456789?var=550123",
    ),
    ("https://benl.ebay.be/itm/256123456789", "https://benl.ebay.be/itm/256123456789"),
    (
        "https://www.walmart.com/ip/Cordless-Drill/123456789?athbdg=L1600&from=/search&wmlspartner=x",
        "https://www.walmart.com/ip/123456789",
    ),
    (
        "https://walmart.ca/en/ip/cordless-drill/6000201234567?rrid=1",
        "https://www.walmart.ca/en/ip/cordless-drill/6000201234567",
    ),
    (
        "https://etsy.com/uk/listing/1234567890/handmade-apron?ref=hp_rv-1&pro=1&frs=1&ga_order=x",
        "https://www.etsy.com/listing/1234567890",
    ),
    (
        "HTTPS://Shop.Example:443/products/blue-mug?variant=401&utm_source=ig&utm_medium=social&fbclid=x&gclid=y&b=2&a=1#details",
        "https://shop.example/products/blue-mug?a=1&b=2&variant=401",
    ),
    ("https://shop.example/item?id=7&_pos=1&_sid=abc&_ss=r&mc_eid=9", "https://shop.example/item?id=7"),
    ("http://shop.example:8080/p?z=1&a=2&a=1", "http://shop.example:8080/p?a=1&a=2&z=1"),
]


@pytest.mark.parametrize(("url", "clean"), NORMALIZED)
def test_normalize(url, clean):
    assert normalize_url(url) == clean
    assert normalize_url(clean) == clean


def test_normalize_unwraps_network_links_so_a_product_is_stored_once():
    plain = "https://www.walmart.com/ip/Cordless-Drill/123456789?athbdg=L1600"
    wrapped = IMPACT.format(tracking_id="1234", url=quote(plain, safe=""))
    assert normalize_url(wrapped) == normalize_url(plain) == "https://www.walmart.com/ip/123456789"


def test_normalize_checks_the_url():
    with pytest.raises(UsageError):
        normalize_url("javascript:alert(1)")


# ------------------------------------------------------------------ affiliate links


def test_amazon_tag_on_the_clean_url():
    url = "https://smile.amazon.de/Some-Slug/dp/B08N5WRWNW/ref=sr_1_1?keywords=x&utm_source=y"
    assert affiliate_link(url, tracking_id="mytag-21") == "https://www.amazon.de/dp/B08N5WRWNW?tag=mytag-21"


def test_amazon_without_a_product_id_is_not_tagged():
    assert (
        affiliate_link("https://www.amazon.com/s?k=mug", tracking_id="mytag-20")
        == "https://www.amazon.com/s?k=mug"
    )


@pytest.mark.parametrize(
    ("domain", "rotation"),
    [
        ("ebay.com", "711-53200-19255-0"),
        ("ebay.co.uk", "710-53481-19255-0"),
        ("ebay.de", "707-53477-19255-0"),
        ("ebay.fr", "709-53476-19255-0"),
        ("ebay.it", "724-53478-19255-0"),
        ("ebay.es", "1185-53479-19255-0"),
        ("ebay.ca", "706-53473-19255-0"),
        ("ebay.com.au", "705-53470-19255-0"),
    ],
)
def test_ebay_partner_network_parameters(domain, rotation):
    link = affiliate_link(f"https://m.{domain}/itm/Camera/256123456789?_trksid=p1", tracking_id="5338123456")
    assert link == (
        f"https://www.{domain}/itm/256123456789"
        f"?mkcid=1&mkrid={rotation}&campid=5338123456&toolid=10001&mkevt=1"
    )
    assert ebay.ROTATION_IDS[domain] == rotation


def test_ebay_keeps_the_variation():
    link = affiliate_link("https://www.ebay.com/itm/256123456789?var=55&hash=x", tracking_id="5338123456")
    assert dict(parse_qsl(urlsplit(link).query))["var"] == "55"


def test_ebay_site_without_epn_gets_the_clean_url():
    assert affiliate_link("https://www.ebay.com.hk/itm/256123456789?x=1", tracking_id="5338123456") == (
        "https://www.ebay.com.hk/itm/256123456789"
    )


def test_aliexpress_without_a_template_is_the_clean_url():
    url = "https://de.aliexpress.com/item/1005006123456789.html?spm=x"
    assert affiliate_link(url, tracking_id="abc") == "https://www.aliexpress.com/item/1005006123456789.html"


def test_aliexpress_with_a_template():
    template = "https://portal.example/deeplink?aff={tracking_id}&target={url}"
    link = affiliate_link(
        "https://de.aliexpress.com/item/1005006123456789.html?spm=x",
        tracking_id="abc",
        link_template=template,
    )
    assert link == (
        "https://portal.example/deeplink?aff=abc&target="
        "https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F1005006123456789.html"
    )


def test_walmart_through_impact():
    link = affiliate_link(
        "https://www.walmart.com/ip/Drill/123456789?athbdg=L1600", tracking_id="1234", link_template=IMPACT
    )
    assert link == (
        "https://goto.walmart.com/c/1234/568844/9383?veh=aff&u=https%3A%2F%2Fwww.walmart.com%2Fip%2F123456789"
    )


def test_etsy_through_awin():
    link = affiliate_link(
        "https://www.etsy.com/listing/1234567890/apron?ref=hp", tracking_id="987654", link_template=AWIN
    )
    assert link == (
        "https://www.awin1.com/cread.php?awinmid=6220&awinaffid=987654"
        "&ued=https%3A%2F%2Fwww.etsy.com%2Flisting%2F1234567890"
    )


def test_template_without_tracking_id_placeholder_needs_none():
    link = affiliate_link(
        "https://www.walmart.com/ip/123456789",
        tracking_id=None,
        link_template="https://goto.walmart.com/c/1/2/3?u={url}",
    )
    assert link == "https://goto.walmart.com/c/1/2/3?u=https%3A%2F%2Fwww.walmart.com%2Fip%2F123456789"


def test_template_needing_a_tracking_id_without_one_gives_the_clean_url():
    assert affiliate_link(
        "https://www.etsy.com/listing/1234567890/x", tracking_id=" ", link_template=AWIN
    ) == ("https://www.etsy.com/listing/1234567890")


def test_generic_shop():
    url = "https://shop.example/products/mug?variant=4&utm_source=x"
    assert affiliate_link(url, tracking_id="me") == "https://shop.example/products/mug?variant=4"
    assert affiliate_link(
        url, tracking_id="me", link_template="https://go.skimresources.com/?id={tracking_id}&url={url}"
    ) == ("https://go.skimresources.com/?id=me&url=https%3A%2F%2Fshop.example%2Fproducts%2Fmug%3Fvariant%3D4")


@pytest.mark.parametrize(
    ("url", "clean"),
    [
        ("https://www.amazon.com/Mug/dp/B08N5WRWNW?utm_source=a", "https://www.amazon.com/dp/B08N5WRWNW"),
        ("https://www.ebay.com/itm/256123456789?_trksid=p1", "https://www.ebay.com/itm/256123456789"),
    ],
)
def test_no_tracking_id_gives_the_clean_url(url, clean):
    assert affiliate_link(url, tracking_id=None) == clean
    assert affiliate_link(url, tracking_id="  ") == clean


USERS_OWN_LINKS = [
    "https://www.amazon.com/Echo/dp/B08N5WRWNW/ref=sr_1_1?tag=someone-20&utm_source=x#top",
    "https://www.amazon.co.uk/dp/B08N5WRWNW?linkCode=ll1&tag=other-21&linkId=abc",
    "https://amzn.to/3xYzAbC",
    "https://s.click.aliexpress.com/e/_DdABcDe",
    "https://s.click.aliexpress.com/deep_link.htm?aff_short_key=x&dl_target_url=https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F1005006123456789.html",
    "https://www.ebay.com/itm/256123456789?mkevt=1&mkcid=1&mkrid=711-53200-19255-0&campid=5338000000&toolid=10001",
    "https://rover.ebay.com/rover/1/711-53200-19255-0/1?campid=5338000000&mpre=https%3A%2F%2Fwww.ebay.com%2Fitm%2F256123456789",
    "https://ebay.us/m/AbCdEf",
    "https://goto.walmart.com/c/999/568844/9383?veh=aff&u=https%3A%2F%2Fwww.walmart.com%2Fip%2F123456789",
    "https://www.walmart.com/ip/123456789?wmlspartner=imp_999&irgwc=1&sourceid=imp_x",
    "https://www.awin1.com/cread.php?awinmid=6220&awinaffid=111&ued=https%3A%2F%2Fwww.etsy.com%2Flisting%2F1234567890",
    "https://www.etsy.com/listing/1234567890?utm_source=affiliate_window&awc=6220_1700000000_abc",
    "https://www.aliexpress.com/item/1005006123456789.html?aff_fcid=abc&aff_platform=portals-tool&sk=_dXyZ",
    "https://click.linksynergy.com/deeplink?id=abc&mid=1&murl=https%3A%2F%2Fshop.example%2Fp",
    "https://www.anrdoezrs.net/click-123-456?url=https%3A%2F%2Fshop.example%2Fp",
    "https://prf.hn/click/camref:1101l3/destination:https%3A%2F%2Fshop.example%2Fp",
]


@pytest.mark.parametrize("url", USERS_OWN_LINKS)
def test_a_users_own_affiliate_link_is_kept_exactly(url):
    store = store_for_url(url)
    assert store.has_affiliate_id(url)
    assert affiliate_link(url, tracking_id="mine-20") == url
    assert affiliate_link(url, tracking_id="mine-20", link_template=AWIN) == url
    assert affiliate_link(f"  {url}\n", tracking_id="mine-20") == url


def test_one_stores_redirect_to_another_stores_page_is_kept():
    """Every store reads every store's affiliate links: Walmart's Impact domain may lead anywhere."""
    url = IMPACT.format(tracking_id="999", url=quote("https://www.amazon.com/dp/B08N5WRWNW", safe=""))
    store = store_for_url(url)
    assert store.api_name == "amazon" and store.has_affiliate_id(url)
    assert affiliate_link(url, tracking_id="mine-20") == url


def test_a_link_built_from_a_custom_template_is_not_wrapped_again():
    template = "https://aff.example.net/r/{tracking_id}?to={url}"
    once = affiliate_link("https://shop.example/p?x=1", tracking_id="me", link_template=template)
    assert once == "https://aff.example.net/r/me?to=https%3A%2F%2Fshop.example%2Fp%3Fx%3D1"
    assert affiliate_link(once, tracking_id="me", link_template=template) == once


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://aff.example/?id={tracking_id}", "has no {url} placeholder"),
        ("https://aff.example/?u={url}&x={campaign}", "unknown placeholder {campaign}"),
        ("ftp://aff.example/?u={url}", "is not an http or https URL"),
        ("{url}", "is not an http or https URL"),
    ],
)
def test_check_link_template(template, message):
    with pytest.raises(UsageError) as info:
        check_link_template(template)
    assert message in str(info.value)
    assert repr(template) in str(info.value)


def test_check_link_template_accepts():
    assert check_link_template(f" {AWIN} ") == AWIN


# ------------------------------------------------------------------ cart links


def item(url: str, quantity: int) -> CartLinkItem:
    return CartLinkItem(url=url, product_id=product_id(url), quantity=quantity)


def test_amazon_cart_link_one_per_domain_with_quantities():
    items = [
        item("https://www.amazon.com/dp/B08N5WRWNW?tag=someone-20", 2),
        item("https://www.amazon.de/dp/B07XJ8C8F5", 1),
        item("https://smile.amazon.com/Mug/dp/B00ABCDEFG/ref=x", 3),
        item("https://amzn.to/3xYzAbC", 1),  # no ASIN: it keeps its own link
        CartLinkItem(url="https://www.amazon.com/dp/B01234567X", product_id=None, quantity=1),
    ]
    links = amazon.Amazon().cart_links(items, tracking_id="mytag-20")
    assert [link.url for link in links] == [
        "https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B08N5WRWNW&Quantity.1=2"
        "&ASIN.2=B00ABCDEFG&Quantity.2=3&ASIN.3=B01234567X&Quantity.3=1&AssociateTag=mytag-20",
        "https://www.amazon.de/gp/aws/cart/add.html?ASIN.1=B07XJ8C8F5&Quantity.1=1&AssociateTag=mytag-20",
    ]
    assert links[0].items == [items[0], items[2], items[4]]
    assert links[1].items == [items[1]]
    assert store_for_url(items[0].url).cart_links(items, tracking_id="mytag-20") == links


def test_amazon_cart_link_merges_the_same_asin_and_skips_no_tag():
    items = [
        item("https://www.amazon.com/dp/B08N5WRWNW", 1),
        item("https://amazon.com/gp/product/B08N5WRWNW", 2),
    ]
    assert [link.url for link in amazon.Amazon().cart_links(items, tracking_id=None)] == [
        "https://www.amazon.com/gp/aws/cart/add.html?ASIN.1=B08N5WRWNW&Quantity.1=3"
    ]


def test_shopify_cart_permalinks_per_shop():
    items = [
        item("https://shop.example/products/blue-mug?variant=401", 2),
        item("https://other.example/en-us/collections/all/products/tee?variant=77&utm_source=x", 1),
        item("https://shop.example/products/red-mug?variant=402", 1),
        item("https://shop.example/products/no-variant", 1),
    ]
    shopify = store_for_url(items[0].url)
    links = shopify.cart_links(items, tracking_id=None)
    assert [link.url for link in links] == [
        "https://shop.example/cart/401:2,402:1",
        "https://other.example/cart/77:1",
    ]
    assert links[0].items == [items[0], items[2]]
    assert shopify.cart_links(items[3:], tracking_id=None) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://www.ebay.com/itm/256123456789",
        "https://www.etsy.com/listing/1234567890",
        "https://www.walmart.com/ip/123456789",
        "https://www.aliexpress.com/item/1005006123456789.html",
        "https://shop.example/products/no-variant",
    ],
)
def test_stores_without_cart_links(url):
    assert store_for_url(url).cart_links([item(url, 1)], tracking_id="x") == []


# ------------------------------------------------------------------ properties (Hypothesis)

noise_names = st.sampled_from(
    [
        "utm_source",
        "utm_campaign",
        "gclid",
        "fbclid",
        "ref",
        "ref_",
        "pd_rd_r",
        "pf_rd_p",
        "_trkparms",
        "_trksid",
        "spm",
        "algo_pvid",
        "psc",
        "th",
        "keywords",
        "hash",
        "mc_eid",
        "srsltid",
        "sku_id",
    ]
) | st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,8}", fullmatch=True)
noise_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)
queries = st.lists(st.tuples(noise_names, noise_values), max_size=4).map(urlencode)
fragments = st.sampled_from(["", "#reviews", "#x=1"])
schemes = st.sampled_from(["http", "https"])
slugs = st.from_regex(r"[A-Za-z0-9-]{1,16}", fullmatch=True)


def with_query(base: str, query: str, fragment: str) -> str:
    return base + (("?" + query) if query else "") + fragment


@st.composite
def amazon_urls(draw):
    host = draw(st.sampled_from(["", "www.", "smile.", "m."])) + draw(st.sampled_from(amazon.DOMAINS))
    asin = draw(st.from_regex(r"[A-Z0-9]{10}", fullmatch=True))
    path = draw(
        st.sampled_from(
            [
                "/dp/{a}",
                "/gp/product/{a}",
                "/gp/aw/d/{a}",
                "/dp/product/{a}",
                "/{s}/dp/{a}",
                "/{s}/dp/{a}/ref=sr_1_{s}",
            ]
        )
    )
    path = path.format(a=asin if draw(st.booleans()) else asin.lower(), s=draw(slugs))
    return with_query(f"{draw(schemes)}://{host}{path}", draw(queries), draw(fragments))


@st.composite
def aliexpress_urls(draw):
    host = draw(
        st.sampled_from(
            [
                "www.aliexpress.com",
                "de.aliexpress.com",
                "m.aliexpress.com",
                "aliexpress.us",
                "www.aliexpress.us",
                "aliexpress.ru",
            ]
        )
    )
    item = draw(st.from_regex(r"[1-9][0-9]{10,15}", fullmatch=True))
    path = draw(st.sampled_from(["/item/{i}.html", "/i/{i}.html", "/item/{s}/{i}.html"])).format(
        i=item, s=draw(slugs)
    )
    return with_query(f"https://{host}{path}", draw(queries), draw(fragments))


@st.composite
def ebay_urls(draw):
    host = draw(st.sampled_from(["www.", "m.", ""])) + draw(st.sampled_from(ebay.DOMAINS))
    item = draw(st.from_regex(r"[1-9][0-9]{11}", fullmatch=True))
    path = draw(st.sampled_from(["/itm/{i}", "/itm/{s}/{i}"])).format(i=item, s=draw(slugs))
    return with_query(f"https://{host}{path}", draw(queries), draw(fragments))


@st.composite
def walmart_urls(draw):
    if draw(st.booleans()):
        item = draw(st.from_regex(r"[1-9][0-9]{5,11}", fullmatch=True))
        base = f"https://www.walmart.com/ip/{draw(slugs)}/{item}"
    else:
        item = draw(st.from_regex(r"(6000[0-9]{9}|PRD[0-9A-Z]{10})", fullmatch=True))
        base = f"https://www.walmart.ca/{draw(st.sampled_from(['en', 'fr']))}/ip/{draw(slugs).lower()}/{item}"
    return with_query(base, draw(queries), draw(fragments))


@st.composite
def etsy_urls(draw):
    listing = draw(st.from_regex(r"[1-9][0-9]{6,10}", fullmatch=True))
    prefix = draw(st.sampled_from(["", "/uk", "/de", "/ca-fr"]))
    return with_query(
        f"https://www.etsy.com{prefix}/listing/{listing}/{draw(slugs)}", draw(queries), draw(fragments)
    )


@st.composite
def shop_urls(draw):
    host = draw(st.sampled_from(["shop.example", "Store.Example.com", "boutique.example:8443"]))
    path = "/" + "/".join(
        draw(
            st.lists(
                st.text(
                    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="/?#"),
                    max_size=6,
                ),
                max_size=3,
            )
        )
    )
    if draw(st.booleans()):
        path = f"/products/{draw(slugs)}"
        query = urlencode([("variant", draw(st.from_regex(r"[1-9][0-9]{4,12}", fullmatch=True)))])
        query = "&".join(q for q in (query, draw(queries)) if q)
    else:
        query = draw(queries)
    return with_query(f"{draw(schemes)}://{host}{path}", query, draw(fragments))


any_store_url = amazon_urls() | aliexpress_urls() | ebay_urls() | walmart_urls() | etsy_urls() | shop_urls()
tracking_ids = st.none() | st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)
known_templates = st.sampled_from([None, AWIN, IMPACT])
any_templates = known_templates | st.just("https://aff.example.net/r/{tracking_id}?to={url}")


@settings(max_examples=100, deadline=None)
@given(any_store_url)
def test_normalize_is_idempotent_and_keeps_the_product_id(url):
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert product_id(once) == product_id(url)
    assert store_for_url(once).api_name == store_for_url(url).api_name


@settings(max_examples=100, deadline=None)
@given(any_store_url, tracking_ids, any_templates)
def test_building_a_link_twice_gives_the_same_link(url, tracking_id, template):
    once = affiliate_link(url, tracking_id=tracking_id, link_template=template)
    assert affiliate_link(once, tracking_id=tracking_id, link_template=template) == once


@settings(max_examples=100, deadline=None)
@given(
    amazon_urls() | aliexpress_urls() | ebay_urls() | walmart_urls() | etsy_urls(),
    tracking_ids,
    known_templates,
)
def test_affiliate_links_never_lose_the_product(url, tracking_id, template):
    link = affiliate_link(url, tracking_id=tracking_id, link_template=template)
    assert product_id(link) == product_id(url) is not None
    assert normalize_url(link) == normalize_url(url)
    assert store_for_url(link).api_name == store_for_url(url).api_name


odd_text = st.text(st.sampled_from(list("aZ0=&%+;/ .-_~é:@!$'()*,[]")), max_size=16)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(
        [
            "https://Shop.example:443",
            "http://shop.example:80",
            "https://smile.amazon.com",
            "https://m.ebay.de",
            "https://www.etsy.com",
            "https://www.walmart.ca",
            "https://de.aliexpress.com",
        ]
    ),
    st.sampled_from(
        [
            "",
            "dp/B08N5WRWNW/",
            "itm/256123456789/",
            "uk/listing/1234567/",
            "en/ip/x/6000123456/",
            "item/123456789.html",
            "products/x?variant=5&",
        ]
    ),
    odd_text,
    odd_text,
    odd_text,
)
def test_normalize_is_idempotent_on_odd_urls(host, prefix, path, query, fragment):
    url = f"{host}/{prefix}{path}?{query}#{fragment}"
    once = normalize_url(url)
    assert normalize_url(once) == once
    assert product_id(once) == product_id(url)


@settings(max_examples=60, deadline=None)
@given(any_store_url, tracking_ids)
def test_a_users_tagged_link_is_always_kept(url, tracking_id):
    tagged = affiliate_link(url, tracking_id="someone-20")
    if tagged != normalize_url(url):  # the store could tag it
        assert affiliate_link(tagged, tracking_id=tracking_id) == tagged


@settings(max_examples=300, deadline=None)
@given(any_store_url | st.sampled_from([u for u, *_ in RECOGNISED] + [u for u, _ in NORMALIZED]))
def test_plain_urls_skip_canonicalization_without_changing_the_result(url):
    """The bulk-import fast path (stores.base._canonical) agrees with canonicalizing every URL."""
    from ishop4u_cli.stores import base, urls

    store = store_for_url(url)
    unwrapped = registry.LINKS.unwrap(url)
    fast, slow = urls.parse(base._canonical(unwrapped)), urls.parse(urls.canonical(unwrapped))
    assert store._normalize(fast) == store._normalize(slow)
    assert store._product_id(fast) == store._product_id(slow)
