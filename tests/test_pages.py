"""Reading product pages from a local server: each markup style, and pages that fail.

fetch_page_info never raises: what went wrong is in `problems`.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest

from ishop4u_cli.services import page_data
from ishop4u_cli.services.pages import PageInfo, fetch_page_info

# ------------------------------------------------------------------ each markup style


def test_json_ld_product_offer(page_server):
    info = fetch_page_info(page_server.url("/pages/jsonld_product.html"))
    assert info == PageInfo(
        name="Espresso Machine Pro 3000",
        price=Decimal("1299.00"),
        currency="EUR",
        image_url=page_server.url("/media/espresso-front.jpg"),
        availability="in_stock",
        problems=[],
    )
    assert str(info.price) == "1299.00"


def test_json_ld_graph_with_type_list_offer_list_and_image_reference(page_server):
    info = fetch_page_info(page_server.url("/pages/jsonld_graph.html"))
    assert info == PageInfo(
        name="Merino Wool Scarf",
        price=Decimal("24.50"),
        currency="GBP",
        image_url="https://highlandknits.example/wp-content/uploads/scarf.jpg",
        problems=[],
    )


def test_json_ld_list_of_blocks_with_aggregate_offer_low_price(page_server):
    info = fetch_page_info(page_server.url("/pages/jsonld_aggregate.html"))
    assert (info.name, info.price, info.currency, info.image_url, info.problems) == (
        "Cordless Drill 20V Kit",
        Decimal("89.00"),
        "USD",
        "https://i5.tooldepot.example/drill.jpeg",
        [],
    )


def test_opengraph_product_price(page_server):
    info = fetch_page_info(page_server.url("/pages/opengraph_product.html"))
    assert info == PageInfo(
        name="Swiss Army Knife Classic SD",
        price=Decimal("49.90"),
        currency="CHF",
        image_url="https://media.alpineshop.example/knife-classic.png",
        problems=[],
    )


def test_opengraph_og_price_spelling_lower_case_currency_and_scheme_relative_image(page_server):
    info = fetch_page_info(page_server.url("/pages/opengraph_ogprice.html"))
    assert info == PageInfo(
        name="Holographic Sticker Pack (10 pcs)",
        price=Decimal("7.50"),
        currency="USD",
        image_url="http://cdn.stickers.example/pack.webp",
        problems=[],
    )


def test_microdata_offer_ignores_nested_items(page_server):
    info = fetch_page_info(page_server.url("/pages/microdata_offer.html"))
    assert info == PageInfo(
        name="Vintage Film Camera 35mm, tested",
        price=Decimal("89.99"),
        currency="USD",
        image_url=page_server.url("/images/g/camera/s-l1600.jpg"),
        availability="in_stock",
        problems=[],
    )


def test_microdata_price_written_as_text_goes_through_the_price_parser(page_server):
    info = fetch_page_info(page_server.url("/pages/microdata_text.html"))
    assert info == PageInfo(name="Gusseisenpfanne 28 cm", price=Decimal("1299.00"), currency="EUR")


def test_a_dollar_sign_alone_names_no_currency(page_server):
    info = fetch_page_info(page_server.url("/pages/text_price_dollar.html"))
    assert (info.name, info.price, info.currency) == ("Canvas Tote Bag", Decimal("19.99"), None)
    assert info.problems == ["the page's price has no currency"]


def test_charset_from_the_meta_tag(page_server):
    info = fetch_page_info(page_server.url("/pages/latin1.html"))
    assert (info.name, info.price, info.currency) == ("Café au lait bowl", Decimal("12.00"), "EUR")


# ------------------------------------------------------------------ JSON-LD as pages write it


@pytest.mark.parametrize(
    ("page", "name", "price", "currency"),
    [
        ("jsonld_cdata.html", "Brass Desk Lamp", "64.00", "EUR"),
        ("jsonld_html_comment.html", "Wool Throw Blanket", "89.50", "GBP"),
        ("jsonld_stray_semicolon.html", "Cast Iron Teapot", "42.00", "USD"),
        ("jsonld_control_characters.html", "Linen Napkins (set of 4)", "24.00", "CAD"),
        ("jsonld_several_objects.html", "Bamboo Cutting Board", "19.90", "AUD"),
    ],
)
def test_json_ld_quirks_are_read_not_skipped(page_server, page, name, price, currency):
    info = fetch_page_info(page_server.url(f"/pages/{page}"))
    assert (info.name, info.price, info.currency, info.problems) == (name, Decimal(price), currency, [])


def test_a_broken_block_does_not_hide_a_good_block_after_it(page_server):
    info = fetch_page_info(page_server.url("/pages/jsonld_broken_then_good.html"))
    assert (info.name, info.price, info.currency) == ("Ceramic Vase", Decimal("35.00"), "NZD")
    assert len(info.problems) == 1 and info.problems[0].startswith("a JSON-LD block on the page is broken (")


def test_objects_before_a_broken_part_of_a_block_are_kept(page_server):
    info = fetch_page_info(page_server.url("/pages/jsonld_good_then_broken_in_one_block.html"))
    assert (info.name, info.price, info.currency) == ("Copper Mug", Decimal("15.00"), "USD")
    assert len(info.problems) == 1 and info.problems[0].startswith("a JSON-LD block on the page is broken (")


@pytest.mark.parametrize(
    "text",
    [
        '<![CDATA[{"a": 1}]]>',
        '<!--{"a": 1}-->',
        '// <![CDATA[\n{"a": 1}\n// ]]>',
        '<!-- <![CDATA[ {"a": 1} ]]> -->',
        '{"a": 1};',
        '{"a": 1} ; ',
    ],
)
def test_json_ld_wrappers_and_trailing_semicolons(text):
    from ishop4u_cli.services.page_markup import json_ld_values

    assert json_ld_values(text) == ([{"a": 1}], None)


def test_a_product_added_from_a_quirky_page_gets_its_name_and_price(cli, signed_in, page_server):
    import json

    r = cli("product", "add", page_server.url("/pages/jsonld_html_comment.html"), "--json")
    assert r.exit_code == 0, r
    product = json.loads(r.stdout)
    assert (product["name"], product["price"], product["currency"]) == ("Wool Throw Blanket", "89.50", "GBP")
    assert r.stderr == "Added product 1: Wool Throw Blanket\n"


# ------------------------------------------------------------------ pages that fail


def test_broken_json_ld_is_a_problem_and_other_markup_still_counts(page_server):
    info = fetch_page_info(page_server.url("/pages/broken_jsonld.html"))
    assert (info.name, info.price, info.currency) == ("Ceramic Planter, Large", Decimal("34.00"), "CAD")
    assert len(info.problems) == 1
    assert info.problems[0].startswith("a JSON-LD block on the page is broken (")


def test_no_price(page_server):
    info = fetch_page_info(page_server.url("/pages/no_price.html"))
    assert info == PageInfo(
        name="Handmade Linen Apron",
        image_url="https://i.etsystatic.example/il/apron.jpg",
        availability="out_of_stock",
        problems=["no price found on the page"],
    )


def test_more_than_two_decimals_is_refused_not_rounded(page_server):
    info = fetch_page_info(page_server.url("/pages/three_decimals.html"))
    assert (info.name, info.price, info.currency) == ("Bulk Screws (per piece)", None, None)
    assert info.problems == ["the page's price '0.045' is not a usable price (at most 2 decimals)"]


def test_http_404(page_server):
    assert fetch_page_info(page_server.url("/status/404")) == PageInfo(problems=["HTTP 404 Not Found"])


def test_http_500(page_server):
    assert fetch_page_info(page_server.url("/status/500")).problems == ["HTTP 500 Internal Server Error"]


def test_amazon_robot_check_page(page_server):
    info = fetch_page_info(page_server.url("/pages/captcha_amazon.html"))
    assert info == PageInfo(problems=[page_data.CAPTCHA_PROBLEM])
    assert "captcha" in info.problems[0]


def test_captcha_served_with_an_error_status(page_server):
    assert fetch_page_info(page_server.url("/captcha-503")).problems == [page_data.CAPTCHA_PROBLEM]


def test_a_captcha_widget_on_a_real_product_page_is_not_a_robot_check(page_server):
    info = fetch_page_info(page_server.url("/pages/product_with_recaptcha.html"))
    assert (info.name, info.price, info.currency, info.problems) == (
        "Trail Running Shoes",
        Decimal("129.00"),
        "USD",
        [],
    )


def test_timeout(page_server):
    info = fetch_page_info(page_server.url("/slow"), timeout=0.3)
    assert info == PageInfo(problems=["the page did not answer within 0.3 s"])


def test_oversize_body_reads_only_the_first_5_mb(page_server):
    info = fetch_page_info(page_server.url("/big"))
    assert (info.name, info.price, info.currency) == ("Espresso Machine Pro 3000", Decimal("1299.00"), "EUR")
    assert info.problems == ["the page is larger than 5 MB: only its start was read"]


def test_five_redirects_are_followed(page_server):
    info = fetch_page_info(page_server.url("/redirect/5/pages/opengraph_product.html"))
    assert (info.name, info.price, info.problems) == ("Swiss Army Knife Classic SD", Decimal("49.90"), [])


def test_six_redirects_are_too_many(page_server):
    info = fetch_page_info(page_server.url("/redirect/6/pages/opengraph_product.html"))
    assert info == PageInfo(problems=["more than 5 redirects"])


@pytest.mark.parametrize(
    "target", ["ftp://files.example/mug.html", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_redirect_to_a_non_http_scheme_is_refused(page_server, target):
    info = fetch_page_info(page_server.url("/redirect-to?to=" + quote(target, safe="")))
    assert info == PageInfo(problems=[f"redirected to {target!r}: not an http or https address"])


def test_not_an_http_url():
    assert fetch_page_info("ftp://example.com/x").problems == [
        "cannot fetch 'ftp://example.com/x': not an http or https address"
    ]


def test_not_html(page_server):
    assert fetch_page_info(page_server.url("/image.png")).problems == ["not a web page (image/png)"]


def test_connection_refused_is_a_problem_not_an_exception():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    info = fetch_page_info(f"http://127.0.0.1:{port}/p", timeout=2)
    assert info.name is None and info.price is None
    assert len(info.problems) == 1 and info.problems[0].startswith("could not fetch the page (ConnectError")


def test_sends_a_browser_user_agent():
    from ishop4u_cli.services.pages import HEADERS

    assert HEADERS["User-Agent"].startswith("Mozilla/5.0")


# ------------------------------------------------------------------ markup rules, no server


def read(html: str) -> PageInfo:
    return page_data.read_page(html, "https://shop.example/p/1")


def ld(obj: str) -> str:
    return f'<script type="application/ld+json">{obj}</script>'


def test_json_ld_numbers_are_decimals_never_floats():
    info = read(ld('{"@type":"Product","name":"A","offers":{"price":0.1,"priceCurrency":"EUR"}}'))
    assert info.price == Decimal("0.10") and isinstance(info.price, Decimal)


def test_json_ld_price_specification_and_schema_url_type():
    info = read(
        ld(
            '{"@type":"http://schema.org/Product","name":"B","offers":{"@type":"Offer",'
            '"priceSpecification":[{"@type":"UnitPriceSpecification","price":"5.25","priceCurrency":"SEK"}]}}'
        )
    )
    assert (info.name, info.price, info.currency) == ("B", Decimal("5.25"), "SEK")


def test_json_ld_product_group_prices_from_its_variants():
    info = read(
        ld(
            '{"@type":"ProductGroup","name":"Tee","hasVariant":[{"@type":"Product","name":"Tee S",'
            '"offers":{"price":"15","priceCurrency":"AUD"}}]}'
        )
    )
    assert (info.name, info.price, info.currency) == ("Tee", Decimal("15.00"), "AUD")


def test_json_ld_price_text_with_thousands_separator():
    info = read(ld('{"@type":"Product","name":"C","offers":{"price":"1,299.00","priceCurrency":"USD"}}'))
    assert info.price == Decimal("1299.00")


def test_json_ld_name_entities_and_whitespace():
    info = read(
        ld(
            '{"@type":"Product","name":"  Salt &amp; Pepper\\n Mill ","offers":{"price":"9","priceCurrency":"GBP"}}'
        )
    )
    assert info.name == "Salt & Pepper Mill"


@pytest.mark.parametrize("price", ['"0"', '"-5"', '"abc"', "true", '"NaN"', '"1e400"', '"100000000.00"'])
def test_unusable_json_ld_prices(price):
    info = read(ld(f'{{"@type":"Product","name":"D","offers":{{"price":{price},"priceCurrency":"USD"}}}}'))
    assert info.price is None
    assert info.problems


def test_json_ld_price_without_currency_takes_the_pages_currency_field():
    html = ld('{"@type":"Product","name":"E","offers":{"price":"3.00"}}') + (
        '<meta property="product:price:currency" content="NOK">'
    )
    assert (read(html).price, read(html).currency) == (Decimal("3.00"), "NOK")


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("£12.00", "GBP"),
        ("12,00 zł", "PLN"),
        ("R$ 1.234,56", "BRL"),
        ("₹ 499", "INR"),
        ("¥1200", None),
        ("kr 99", None),
    ],
)
def test_currency_symbols_only_when_unambiguous(text, currency):
    assert page_data.read_price(text)[1] == currency


def test_title_is_the_last_resort_for_the_name():
    info = read('<title> Plain Shop Page </title><p itemprop="price" content="4.00"></p>')
    assert (info.name, info.price) == ("Plain Shop Page", Decimal("4.00"))


def test_empty_page():
    assert read("") == PageInfo(problems=["no product name found on the page", "no price found on the page"])


@pytest.mark.parametrize(
    "html",
    [
        "<title>Just a moment...</title>",
        "<title>Robot or human?</title>",
        '<form action="/errors/validateCaptcha"></form>',
        '<div class="g-recaptcha"></div><h1>No price here</h1>',
    ],
)
def test_robot_checks(html):
    assert read(html) == PageInfo(problems=[page_data.CAPTCHA_PROBLEM])
