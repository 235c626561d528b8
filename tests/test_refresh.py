"""`ishop4u refresh` against a local store whose prices change between runs, on SQLite and PostgreSQL.

The store (tests/refresh_server.py) serves product pages from 127.0.0.2, 127.0.0.3, ... and
counts what the refresh asked of it: requests per page, and the most in flight at once.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from email.utils import formatdate

import pytest
import sqlalchemy as sa
from refresh_server import add_to_cart, serve_store

from ishop4u_cli.services import page_data


@pytest.fixture
def store():
    with serve_store(hosts=3) as served:
        yield served


def refresh_doc(cli, *args: str, code: int = 0) -> dict:
    r = cli("refresh", "--json", *args)
    assert r.exit_code == code, r
    return json.loads(r.stdout)


def by_id(doc: dict) -> dict[int, dict]:
    return {p["id"]: p for p in doc["products"]}


def page_observations(engine, product_id: int) -> list[tuple]:
    """The observations a page read recorded for PRODUCT_ID: (price, currency, availability), oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT price, currency, availability FROM price_observations "
                "WHERE product_id = :p AND origin = 'page' ORDER BY observed_at, id"
            ),
            {"p": product_id},
        )
        return [(Decimal(str(price)).quantize(Decimal("0.01")), cur, av) for price, cur, av in rows]


def page_check(engine, product_id: int) -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT * FROM page_checks WHERE product_id = :p"), {"p": product_id}
        ).mappings()
        return dict(row.one())


def product_prices(cli) -> dict[int, tuple[str | None, str]]:
    r = cli("product", "list", "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    items = doc["products"] if isinstance(doc, dict) else doc
    return {p["id"]: (p["price"], p["currency"]) for p in items}


# ---------------------------------------------------------------- what a run records


def test_refresh_records_prices_stock_and_statuses(ann, store, engine):
    mug = store.add("/mug", price="10.00")
    lamp = store.add("/lamp", host=1, name="Desk Lamp", price="25.00")
    kettle = store.add("/kettle", host=2, name="Kettle", price="40.00")
    mug_id, lamp_id, kettle_id = add_to_cart(ann, mug, lamp, kettle)
    before = {pid: len(page_observations(engine, pid)) for pid in (mug_id, lamp_id, kettle_id)}

    store.pages["/mug"].price = "8.50"  # the price fell
    store.pages["/lamp"].availability = "http://schema.org/OutOfStock"  # sold out at the same price
    doc = refresh_doc(ann)

    products = by_id(doc)
    assert [p["id"] for p in doc["products"]] == [mug_id, lamp_id, kettle_id]
    assert {
        k: products[mug_id][k] for k in ("status", "old_price", "new_price", "currency", "availability")
    } == {
        "status": "changed",
        "old_price": "10.00",
        "new_price": "8.50",
        "currency": "USD",
        "availability": "in_stock",
    }
    assert (products[lamp_id]["status"], products[lamp_id]["availability"]) == ("changed", "out_of_stock")
    assert (products[kettle_id]["status"], products[kettle_id]["new_price"]) == ("unchanged", "40.00")
    assert all(p["failure"] is None and p["checked_at"] for p in doc["products"])
    assert doc["totals"] == {"checked": 3, "changed": 2, "unchanged": 1, "failed": 0, "alerts": 0}
    assert doc["alerts"] == [] and doc["interrupted"] is False

    # The current price is the page's; each read added one observation, as the page said it.
    assert product_prices(ann)[mug_id] == ("8.50", "USD")
    assert page_observations(engine, mug_id)[before[mug_id] :] == [(Decimal("8.50"), "USD", "in_stock")]
    assert page_observations(engine, lamp_id)[before[lamp_id] :] == [
        (Decimal("25.00"), "USD", "out_of_stock")
    ]
    assert page_check(engine, lamp_id)["availability"] == "out_of_stock"

    # The text report: each change, then one summary line (stderr); no alerts, so stdout is empty.
    store.pages["/mug"].price = "9.00"
    r = ann("refresh")
    assert r.exit_code == 0, r
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"Changed: product {mug_id} (Blue Mug): 8.50 USD -> 9.00 USD, in stock.",
        "Checked 3 products: 1 changed, 2 unchanged, 0 failed; 0 alerts fired.",
    ]


def test_a_304_is_unchanged_and_adds_no_observation(ann, store, engine):
    (pid,) = add_to_cart(ann, store.add("/mug", etag=True))
    refresh_doc(ann)  # learns the page's ETag
    count = len(page_observations(engine, pid))
    etag = page_check(engine, pid)["etag"]
    assert etag

    doc = refresh_doc(ann)
    assert (by_id(doc)[pid]["status"], by_id(doc)[pid]["new_price"]) == ("unchanged", "10.00")
    last = store.hits("/mug")[-1]
    assert (last.headers.get("if-none-match"), last.status) == (etag, 304)
    assert len(page_observations(engine, pid)) == count  # nothing new was said
    assert page_check(engine, pid)["failure"] is None

    store.pages["/mug"].price = "7.00"  # a new page, a new ETag: read again
    doc = refresh_doc(ann)
    assert (by_id(doc)[pid]["status"], by_id(doc)[pid]["new_price"]) == ("changed", "7.00")
    assert store.hits("/mug")[-1].status == 200


def test_a_page_that_changes_currency_records_the_new_one(ann, store, engine):
    (pid,) = add_to_cart(ann, store.add("/mug", price="10.00", currency="USD"))
    store.pages["/mug"].price, store.pages["/mug"].currency = "9.00", "EUR"
    p = by_id(refresh_doc(ann))[pid]
    assert (p["status"], p["old_price"], p["old_currency"], p["new_price"], p["currency"]) == (
        "changed",
        "10.00",
        "USD",
        "9.00",
        "EUR",
    )
    assert product_prices(ann)[pid] == ("9.00", "EUR")
    assert page_observations(engine, pid)[-1] == (Decimal("9.00"), "EUR", "in_stock")


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": 500}, "HTTP 500 Internal Server Error"),
        ({"price": "0.00"}, "the page's price '0.00' is not a usable price (zero is not a price)"),
        (
            {"body": "<html><head><title>Robot Check</title></head><body>Type the characters</body></html>"},
            page_data.CAPTCHA_PROBLEM,
        ),
        ({"status": 429}, "HTTP 429 Too Many Requests"),  # no Retry-After: not read again
    ],
)
def test_a_failure_keeps_the_last_good_price_and_is_shown(ann, store, engine, change, reason):
    _, bad = add_to_cart(ann, store.add("/good", name="Good Mug"), store.add("/bad", host=1, name="Bad Mug"))
    count = len(page_observations(engine, bad))
    for key, value in change.items():
        setattr(store.pages["/bad"], key, value)

    r = ann("refresh")
    assert r.exit_code == 0, r  # one page read: the run worked
    assert f"Failed: product {bad} (Bad Mug): {reason}; kept 10.00 USD." in r.stderr.splitlines()
    assert "Checked 2 products: 0 changed, 1 unchanged, 1 failed; 0 alerts fired." in r.stderr
    assert product_prices(ann)[bad] == ("10.00", "USD")
    assert len(page_observations(engine, bad)) == count  # a failure is never a price
    check = page_check(engine, bad)
    assert (check["failure"], check["failed_at"] is not None) == (reason, True)

    p = by_id(refresh_doc(ann))[bad]
    assert (p["status"], p["new_price"], p["failure"]) == ("failed", "10.00", reason)

    # The page recovers: the next good read is compared with the last good one.
    for key, value in {"status": 200, "price": "10.00", "body": None}.items():
        setattr(store.pages["/bad"], key, value)
    assert by_id(refresh_doc(ann))[bad]["status"] == "unchanged"


def test_every_page_failed_is_exit_8(ann, store):
    add_to_cart(ann, store.add("/a"), store.add("/b", host=1))
    store.pages["/a"].status = store.pages["/b"].status = 503
    r = ann("refresh")
    assert r.exit_code == 8, r
    assert r.stderr.splitlines()[-1] == "Error: no page could be read (all 2 failed: see above)"
    doc = refresh_doc(ann, code=8)
    assert doc["totals"]["failed"] == 2


def test_quiet_prints_nothing_without_alerts(ann, store):
    add_to_cart(ann, store.add("/a"), store.add("/b", host=1))
    store.pages["/a"].price = "5.00"
    store.pages["/b"].status = 500
    r = ann("refresh", "--quiet")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")


# ---------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("when", ["seconds", "date"])
def test_retry_after_is_honoured(ann, store, when):
    (pid,) = add_to_cart(ann, store.add("/busy"))
    page = store.pages["/busy"]
    page.status, page.failures, page.price = 429 if when == "seconds" else 503, 1, "9.00"
    page.retry_after = "1" if when == "seconds" else formatdate(time.time() + 2, usegmt=True)
    store.reset_counts()
    p = by_id(refresh_doc(ann))[pid]
    assert (p["status"], p["new_price"]) == ("changed", "9.00")
    first, second = store.hits("/busy")
    assert first.status in (429, 503) and second.status == 200
    assert second.at - first.at >= 0.9  # it waited as asked (a lower bound, not a speed)


def test_retry_after_longer_than_60_s_or_the_time_limit_fails_the_page(ann, store, monkeypatch):
    slow, later = add_to_cart(ann, store.add("/slow"), store.add("/later", host=1))
    store.pages["/slow"].status, store.pages["/slow"].retry_after = 429, "120"
    store.pages["/later"].status, store.pages["/later"].retry_after = 503, "30"
    monkeypatch.setenv("ISHOP4U_REFRESH_TIMEOUT", "5")
    store.reset_counts()
    doc = refresh_doc(ann, code=8)
    failures = {pid: p["failure"] for pid, p in by_id(doc).items()}
    assert failures == {
        slow: "HTTP 429 Too Many Requests: the store asked to come back in 120 s (more than 60 s)",
        later: "HTTP 503 Service Unavailable: the store asked to come back in 30 s, after the refresh's time limit",
    }
    assert len(store.hits("/slow")) == len(store.hits("/later")) == 1


# ---------------------------------------------------------------- concurrency, as the store sees it


def test_at_most_two_pages_at_once_per_host_and_jobs_overall(ann, store):
    urls = [store.add(f"/p{n}", host=n % 3, name=f"Thing {n}", delay=0.3) for n in range(12)]
    ids = add_to_cart(ann, *urls)
    store.reset_counts()
    assert refresh_doc(ann)["totals"]["unchanged"] == 12
    assert max(store.peak_per_host.values()) == 2  # 4 pages a host, 2 at a time
    assert store.peak_total <= 6

    store.reset_counts()
    assert refresh_doc(ann, "--jobs", "3")["totals"]["checked"] == 12
    assert store.peak_total <= 3
    assert max(store.peak_per_host.values()) <= 2

    store.reset_counts()
    refresh_doc(ann, "--jobs", "1", *(str(i) for i in ids[:3]))
    assert store.peak_total == 1


def test_cart_add_reads_several_pages_at_once_within_the_per_host_limit(ann, store):
    urls = [store.add(f"/p{n}", host=n % 2, name=f"Thing {n}", delay=0.3) for n in range(6)]
    store.reset_counts()
    ids = add_to_cart(ann, *urls)
    assert len(ids) == 6
    assert store.peak_total > 1  # read at once, not one after another
    assert max(store.peak_per_host.values()) == 2


@pytest.mark.parametrize("jobs", ["0", "65", "-1", "many"])
def test_jobs_out_of_range_is_a_usage_error(ann, store, db_rows, jobs):
    add_to_cart(ann, store.add("/a"))
    before = db_rows()
    store.reset_counts()
    r = ann("refresh", "--jobs", jobs)
    assert r.exit_code == 2, r
    if jobs != "many":
        assert r.stderr == f"Error: --jobs takes 1 to 64 pages at once, not {jobs}\n"
    assert db_rows() == before and store.requests == []


# ---------------------------------------------------------------- what is read


def test_empty_cart_is_nothing_to_refresh(ann):
    r = ann("refresh")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr.startswith("Nothing to refresh")
    assert refresh_doc(ann)["totals"] == {
        "checked": 0,
        "changed": 0,
        "unchanged": 0,
        "failed": 0,
        "alerts": 0,
    }


def test_ids_all_and_source_choose_the_products(ann, store, db_rows):
    in_cart, other = add_to_cart(ann, store.add("/a")), None
    r = ann("product", "add", store.add("/b", host=1, name="Not in cart"), "--json")
    assert r.exit_code == 0, r
    other = json.loads(r.stdout)["id"]
    in_cart = in_cart[0]
    assert [p["id"] for p in refresh_doc(ann)["products"]] == [in_cart]
    assert [p["id"] for p in refresh_doc(ann, "--all")["products"]] == [in_cart, other]
    assert [p["id"] for p in refresh_doc(ann, str(other))["products"]] == [other]
    assert refresh_doc(ann, "--all", "--source", "amazon")["products"] == []

    before = db_rows()
    r = ann("refresh", str(other), "999")
    assert (r.exit_code, r.stderr) == (3, "Error: no product with id 999 (see: ishop4u product list)\n")
    assert db_rows() == before
    assert ann("refresh", "--source", "nowhere").exit_code == 3
    assert ann("refresh", str(other), "--all").exit_code == 2
    assert ann("refresh", "--cart", "--all").exit_code == 2


def test_refresh_needs_a_signed_in_user(ann, store):
    add_to_cart(ann, store.add("/a"))
    assert ann("user", "logout").exit_code == 0
    store.reset_counts()
    r = ann("refresh")
    assert r.exit_code == 4, r
    assert store.requests == []


def test_an_affiliate_redirect_is_never_followed(ann, store):
    # amzn.to names no page: reading it would be a click on the user's own link.
    r = ann("cart", "add", "https://amzn.to/3xYzAbC", "--name", "Short link", "--price", "5")
    assert r.exit_code == 0, r
    doc = refresh_doc(ann, code=8)
    assert doc["products"][0]["failure"].startswith("its link is an affiliate redirect that names no page")


def test_the_run_ends_at_its_time_limit(ann, store, monkeypatch):
    import threading

    ids = add_to_cart(ann, *(store.add(f"/p{n}", name=f"Thing {n}") for n in range(4)))
    never = threading.Event()
    for page in store.pages.values():
        page.stall = never
    monkeypatch.setenv("ISHOP4U_REFRESH_TIMEOUT", "1")
    try:
        doc = refresh_doc(ann, "--jobs", "2", code=8)
    finally:
        never.set()
    failures = sorted(p["failure"] for p in doc["products"])
    assert [p["id"] for p in doc["products"]] == ids
    # Two were being read (2 a host) and are cut off; two never started.
    assert failures == [
        "not read: the refresh ran out of time",
        "not read: the refresh ran out of time",
        "the page did not answer before the refresh ran out of time",
        "the page did not answer before the refresh ran out of time",
    ]
