"""`ishop4u checkout --html`: the checkout as one HTML page, through the CLI and in headless Chromium.

The CLI tests run on SQLite and PostgreSQL. The browser tests share one
headless Chromium (Debian's chromium + chromium-driver, driven by Selenium
with the driver's path given, so Selenium Manager never downloads anything);
pictures come from the local page server, never the internet. Without a
browser they skip, unless ISHOP4U_TEST_REQUIRE_BROWSER=1 (CI) makes that a
failure. Screenshots land under the test's tmp_path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ishop4u_cli.render.checkout_page import DISCLOSURE, web_url

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
LONG_NAME = "Unbreakable" + "X" * 120  # one word wider than a phone: must wrap, not scroll
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REQUIRE_BROWSER = "ISHOP4U_TEST_REQUIRE_BROWSER"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_cart(cli, url: str, qty: int, *args: str) -> int:
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    pid = json.loads(r.stdout)["id"]
    r = cli("cart", "add", str(pid), "--qty", str(qty))
    assert r.exit_code == 0, r
    return pid


def make_shop(cli, *, picture: str | None = None, broken_picture: str | None = None) -> dict[str, int]:
    """Two Amazon items (one hostile, unpriced), an eBay lens, a Shopify tee in EUR, a long-named shop item."""
    assert cli("source", "edit", "amazon", "--tag", "mytag-20").exit_code == 0
    assert cli("source", "edit", "ebay", "--tag", "5338000000").exit_code == 0
    book_pic = ("--image", picture) if picture else ()
    lens_pic = ("--image", broken_picture) if broken_picture else ()
    return {
        "book": in_cart(
            cli, "https://www.amazon.com/dp/B000000001", 3, "--name", "Book", "--price", "19.99", *book_pic
        ),
        "hostile": in_cart(cli, "https://www.amazon.com/dp/B000000002", 1, "--name", HOSTILE),
        "lens": in_cart(
            cli, "https://www.ebay.com/itm/256789012345", 1, "--name", "Lens", "--price", "89.99", *lens_pic
        ),
        "tee": in_cart(
            cli,
            "https://tees.example/products/tee?variant=4242",
            2,
            "--name",
            "Tee",
            "--price",
            "25",
            "--currency",
            "EUR",
        ),
        "long": in_cart(cli, "https://odd.example/item/7", 1, "--name", LONG_NAME, "--price", "1.50"),
    }


def checkout_doc(cli, *args: str) -> dict:
    r = cli("checkout", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)


def default_page(home: Path) -> Path:
    return home / ".cache" / "ishop4u" / "checkout.html"


# ---------------------------------------------------------------- through the CLI


def test_html_writes_the_page_to_the_cache_directory_and_prints_its_path(ann, isolated_home):
    ids = make_shop(ann)
    r = ann("checkout", "--html")
    assert r.exit_code == 0, r
    page = default_page(isolated_home)
    assert r.stdout == f"{page}\n"
    assert r.stderr == ""
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    assert "<script" not in html  # the hostile name is text, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert DISCLOSURE in html
    assert f'id="product-{ids["tee"]}"' in html
    assert "50.00 EUR" in html and "151.46 USD" in html  # the totals per currency
    assert "1 item without a price is not in the totals." in html
    # Every link and picture on the page is http(s); nothing else is fetched.
    assert "<link" not in html and "@import" not in html and "url(" not in html


def test_output_replaces_an_existing_file_atomically(ann, tmp_path):
    make_shop(ann)
    out = tmp_path / "pages" / "cart.html"
    out.parent.mkdir()
    out.write_text("old page")
    out.chmod(0o640)
    r = ann("checkout", "--html", "--output", str(out))
    assert r.exit_code == 0, r
    assert r.stdout == f"{out}\n"
    assert "old page" not in out.read_text()
    assert "Lens" in out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o640  # the replaced page's mode is kept
    assert sorted(p.name for p in out.parent.iterdir()) == ["cart.html"]  # no temporary file left


def test_source_filters_the_page(ann, tmp_path):
    make_shop(ann)
    out = tmp_path / "ebay.html"
    r = ann("checkout", "--html", "--source", "ebay", "--output", str(out))
    assert r.exit_code == 0, r
    html = out.read_text()
    assert "Lens" in html and "Book" not in html and "Tee" not in html


def test_an_empty_cart_still_gets_a_page(ann, tmp_path):
    out = tmp_path / "empty.html"
    r = ann("checkout", "--html", "--output", str(out))
    assert r.exit_code == 0, r
    assert "Nothing to check out: your cart has no items." in out.read_text()


@pytest.mark.parametrize(
    "args",
    [["--html", "--json"], ["--output", "x.html"], ["--json", "--output", "x.html"]],
)
def test_html_with_json_or_output_without_html_is_a_usage_error(ann, args, tmp_path, isolated_home):
    make_shop(ann)
    r = ann("checkout", *args)
    assert r.exit_code == 2, r
    assert r.stdout == ""
    assert r.stderr.startswith("Error: ") and "--html" in r.stderr
    assert not default_page(isolated_home).exists()


def test_output_in_a_missing_directory_exits_3(ann, tmp_path):
    make_shop(ann)
    r = ann("checkout", "--html", "--output", str(tmp_path / "nowhere" / "p.html"))
    assert r.exit_code == 3, r
    assert "no such directory" in r.stderr


def test_html_open_opens_the_page_not_the_stores(ann, isolated_home, monkeypatch):
    from ishop4u_cli.commands import checkout

    opened: list[str] = []
    monkeypatch.setattr(checkout, "open_url", lambda url: opened.append(url) or True)
    make_shop(ann)
    r = ann("checkout", "--html", "--open")
    assert r.exit_code == 0, r
    page = default_page(isolated_home)
    assert opened == [page.as_uri()]
    assert r.stdout == f"{page}\n"
    assert r.stderr == "Opened the checkout page in your browser.\n"


def test_hostile_urls_never_become_links_or_pictures(ann, engine, tmp_path):
    """Stored data from anywhere (an old database, another program): javascript: and data: stay out."""
    import sqlalchemy as sa

    ids = make_shop(ann)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE products SET affiliate_link = :link, image_url = :image WHERE id = :id"),
            {
                "link": "javascript:alert(3)",
                "image": "data:image/svg+xml,<svg onload=alert(4)>",
                "id": ids["lens"],
            },
        )
        conn.execute(
            sa.text("UPDATE products SET affiliate_link = :link, image_url = :image WHERE id = :id"),
            {"link": " JavaScript:alert(5)", "image": "java\tscript:alert(6)", "id": ids["tee"]},
        )
    out = tmp_path / "p.html"
    assert ann("checkout", "--html", "--output", str(out)).exit_code == 0
    html = out.read_text().lower()
    assert "javascript:" not in html and "script:alert" not in html and "data:" not in html
    assert "No web link to buy it with".lower() in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://www.amazon.com/dp/B000000001?tag=x-20", True),
        ("http://127.0.0.1:8000/picture.png", True),
        ("javascript:alert(1)", False),
        ("JAVASCRIPT:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("java\nscript:alert(1)", False),
        (" https://example.com/", False),
        ("file:///etc/passwd", False),
        ("https:///no-host", False),
        ("//example.com/x", False),
        ("vbscript:msgbox", False),
        ("", False),
        (None, False),
    ],
)
def test_only_http_urls_pass(url, kept):
    assert web_url(url) == (url if kept else None)


def test_help_does_not_import_jinja2():
    code = (
        "import sys\nsys.argv = ['ishop4u', 'checkout', '--help']\n"
        "from ishop4u_cli.app import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('JINJA', 'jinja2' in sys.modules, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert "JINJA False" in proc.stderr, proc.stderr
    assert "--html" in proc.stdout and "--output" in proc.stdout


# ---------------------------------------------------------------- in a real browser


def _missing_browser() -> str | None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not path.is_file():
            return f"{path} not found: install Debian's {package} (apt-get install chromium chromium-driver)"
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed: pip install -e '.[test]'"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One headless Chromium for the module's browser tests, contacting nothing on its own."""
    reason = _missing_browser()
    if reason:
        if os.environ.get(REQUIRE_BROWSER) == "1":
            pytest.fail(f"{REQUIRE_BROWSER}=1 but no browser: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in [*CHROMIUM_ARGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def show_at(driver, page: Path, width: int, *, dark: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
    )
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    driver.get(page.as_uri())
    driver.execute_script(  # wait for the pictures: done or failed
        "return Promise.all([...document.images].map(i => i.decode().catch(() => null)))"
    )


def no_horizontal_overflow(driver) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def screenshot(driver, path: Path) -> None:
    """The whole page, not only the first screen."""
    width = driver.execute_script("return window.innerWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.save_screenshot(str(path))


def assert_no_dialog(driver) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert  # reading it is the check


@pytest.fixture
def page(ann, page_server, tmp_path):
    """Ann's checkout page, with a real picture, a failing one and items without one."""
    ids = make_shop(
        ann, picture=page_server.url("/picture.png"), broken_picture=page_server.url("/status/404")
    )
    out = tmp_path / "checkout.html"
    r = ann("checkout", "--html", "--output", str(out))
    assert r.exit_code == 0, r
    return out, ids, checkout_doc(ann)


@pytest.mark.parametrize("backend", ["sqlite"])  # the browser reads a file: one backend is enough
def test_the_page_on_a_desktop(browser, page, tmp_path):
    path, ids, doc = page
    show_at(browser, path, 1280)
    assert_no_dialog(browser)
    assert browser.execute_script("return window.innerWidth") == 1280
    assert no_horizontal_overflow(browser)

    found = browser.execute_script(
        "return [...document.querySelectorAll('section.store')].map(s => ({"
        " store: s.querySelector('.store-name').textContent,"
        " buttons: [...s.querySelectorAll('a.cart-button')].map(a => [a.textContent, a.getAttribute('href')]),"
        " items: [...s.querySelectorAll('li.item')].map(li => ({"
        "   id: Number(li.dataset.productId), name: li.querySelector('.name').textContent,"
        "   buy: li.querySelector('a.buy')?.getAttribute('href') ?? null }))}))"
    )
    expected = [
        {
            "store": store["source"] or "Other shops",
            "buttons": store["cart_links"],
            "items": [
                {"id": i["product_id"], "name": i["name"], "buy": i["affiliate_link"]} for i in store["items"]
            ],
        }
        for store in doc["stores"]
    ]
    assert [{**s, "buttons": [href for _, href in s["buttons"]]} for s in found] == expected
    buttons = {s["store"]: s["buttons"] for s in found}
    assert buttons["Amazon"] == [
        [
            "Open amazon.com cart, 2 items",
            "https://www.amazon.com/gp/aws/cart/add.html"
            "?ASIN.1=B000000001&Quantity.1=3&ASIN.2=B000000002&Quantity.2=1&AssociateTag=mytag-20",
        ]
    ]
    assert "campid=5338000000" in expected[1]["items"][0]["buy"]  # eBay's link carries its campaign id
    assert buttons["Other shops"] == [["Open tees.example cart, 1 item", "https://tees.example/cart/4242:2"]]

    # The hostile name is text: no script element, no handler, no dialog.
    assert (
        browser.execute_script("return document.querySelectorAll('script, [onerror], img[src=x]').length")
        == 0
    )
    assert (
        browser.execute_script(
            f"return document.querySelector('#product-{ids['hostile']} .name').textContent"
        )
        == HOSTILE
    )
    assert_no_dialog(browser)

    # Pictures: the real one drawn; the failed one and the missing ones fall back to the placeholder.
    state = browser.execute_script(
        "const img = id => document.querySelector(`#product-${id} .pic img`);"
        "const none = id => document.querySelector(`#product-${id} .pic.no-picture`);"
        "return {book: img(arguments[0]).naturalWidth,"
        " lens: [img(arguments[1]).complete, img(arguments[1]).naturalWidth],"
        " tee: none(arguments[2]) && getComputedStyle(none(arguments[2])).backgroundImage,"
        " teeSize: none(arguments[2]) && none(arguments[2]).getBoundingClientRect().width}",
        ids["book"],
        ids["lens"],
        ids["tee"],
    )
    assert state["book"] == 96
    assert state["lens"] == [True, 0]
    assert "gradient" in state["tee"] and state["teeSize"] == 120
    screenshot(browser, tmp_path / "checkout-1280.png")
    assert (tmp_path / "checkout-1280.png").stat().st_size > 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_page_on_a_phone_and_in_the_dark(browser, page, tmp_path):
    path, ids, _ = page
    show_at(browser, path, 390)
    assert browser.execute_script("return window.innerWidth") == 390
    assert no_horizontal_overflow(browser)
    assert_no_dialog(browser)
    # The long name wraps inside the phone's width; the store buttons fill it.
    right = browser.execute_script(
        f"return document.querySelector('#product-{ids['long']} .name').getBoundingClientRect().right"
    )
    assert right <= 390
    widths = browser.execute_script(
        "return [...document.querySelectorAll('a.cart-button')].map(a => a.getBoundingClientRect().width)"
    )
    assert widths and all(w > 300 for w in widths)
    light = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    screenshot(browser, tmp_path / "checkout-390.png")

    show_at(browser, path, 390, dark=True)
    assert no_horizontal_overflow(browser)
    dark = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert dark != light
    screenshot(browser, tmp_path / "checkout-390-dark.png")
    for name in ("checkout-390.png", "checkout-390-dark.png"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("backend", ["sqlite"])
def test_stock_and_price_changes_on_the_page(browser, ann, engine, tmp_path):
    """Each item says what its page last said about stock, and how its price moved since it was added."""
    from datetime import datetime

    import sqlalchemy as sa

    from ishop4u_cli.tables import page_checks

    ids = make_shop(ann)
    assert ann("product", "edit", str(ids["book"]), "--price", "16.99").exit_code == 0
    assert ann("product", "edit", str(ids["tee"]), "--price", "26.50").exit_code == 0
    with engine.begin() as conn:
        conn.execute(
            sa.insert(page_checks),
            [
                {
                    "product_id": ids["lens"],
                    "availability": "out_of_stock",
                    "checked_at": datetime(2026, 11, 24),
                },
                {"product_id": ids["book"], "availability": "in_stock", "checked_at": datetime(2026, 11, 23)},
            ],
        )
    out = tmp_path / "checkout.html"
    r = ann("checkout", "--html", "--output", str(out))
    assert r.exit_code == 0, r
    assert (
        r.stderr
        == f"Warning: product {ids['lens']} (Lens) was out of stock when its page was read on 2026-11-24 00:00 UTC\n"
    )

    for width, dark in ((1280, False), (390, False), (390, True)):
        show_at(browser, out, width, dark=dark)
        assert no_horizontal_overflow(browser)
        assert_no_dialog(browser)
        seen = browser.execute_script(
            "const t = (id, sel) => { const e = document.querySelector(`#product-${id} ${sel}`);"
            " return e && [e.textContent, getComputedStyle(e).color]; };"
            "return {book: [t(arguments[0], '.change'), t(arguments[0], '.stock')],"
            " lens: [t(arguments[1], '.change'), t(arguments[1], '.stock')],"
            " tee: [t(arguments[2], '.change'), t(arguments[2], '.stock')]}",
            ids["book"],
            ids["lens"],
            ids["tee"],
        )
        (down, down_colour), (in_stock, in_colour) = seen["book"]
        assert down == "Price down 3.00 USD since you added it"
        assert in_stock == "In stock (checked 2026-11-23)"
        assert seen["lens"][0] is None  # no change: nothing said
        out_text, out_colour = seen["lens"][1]
        assert out_text == "Out of stock (checked 2026-11-24)"
        (up, up_colour), no_stock = seen["tee"]
        assert up == "Price up 1.50 EUR since you added it" and no_stock is None  # stock unknown: nothing
        # A fall and good stock read in one colour, a rise and no stock in another.
        assert down_colour == in_colour and up_colour == out_colour and down_colour != up_colour
        screenshot(browser, tmp_path / f"stock-{width}{'-dark' if dark else ''}.png")
