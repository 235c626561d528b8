"""`ishop4u refresh` as real processes: killed in the middle, two at once, on a terminal; and its alerts
delivered through Apprise to a local receiver. Both backends where the database matters.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import pytest
import sqlalchemy as sa
from refresh_server import Receiver, add_to_cart, serve_store
from terminal import run_with_terminal_on


@pytest.fixture
def store():
    with serve_store(hosts=3) as served:
        yield served


def prices(cli) -> dict[int, str | None]:
    r = cli("product", "list", "--json")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    return {p["id"]: p["price"] for p in (doc["products"] if isinstance(doc, dict) else doc)}


def start_refresh(db_url: str, *args: str) -> subprocess.Popen:
    """`ishop4u refresh` in a process of its own (the test's HOME and signed-in session)."""
    return subprocess.Popen(
        [sys.executable, "-m", "ishop4u_cli", "--db", db_url, "refresh", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def page_reads(engine, ids: list[int]) -> int:
    """How many of IDS have an observation of the new price (7.00) committed."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT COUNT(DISTINCT product_id) FROM price_observations "
                "WHERE origin = 'page' AND price = 7 AND product_id IN (:a, :b, :c)"
            ),
            dict(zip("abc", ids, strict=True)),
        ).scalar()


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_a_refresh_stopped_in_the_middle_keeps_what_it_wrote(ann, store, engine, how):
    stuck = threading.Event()
    fast = [store.add(f"/fast{n}", host=n, name=f"Fast {n}") for n in range(3)]
    *fast_ids, stuck_id = add_to_cart(ann, *fast, store.add("/stuck", host=0, name="Stuck"))
    for page in store.pages.values():
        page.price = "7.00"
    store.pages["/stuck"].stall = stuck
    store.reset_counts()  # the pages were read by cart add

    proc = start_refresh(ann.db_url)
    try:
        wait_for(lambda: store.hits("/stuck"), "the stuck page to be asked for")
        wait_for(lambda: page_reads(engine, fast_ids) == 3, "the three fast results to be committed")
        proc.send_signal(getattr(signal, how))
        out, err = proc.communicate(timeout=30)
    finally:
        stuck.set()
        if proc.poll() is None:
            proc.kill()
    if how == "SIGINT":
        assert proc.returncode == 130, (out, err)
        assert "Interrupted after 3 of 4: what was read is kept." in err
        assert err.endswith("Error: interrupted\n")
    else:
        assert proc.returncode == -signal.SIGKILL
    now = prices(ann)
    assert [now[i] for i in fast_ids] == ["7.00", "7.00", "7.00"]  # committed as each arrived
    assert now[stuck_id] == "10.00"  # never read: the last good price

    # The lock went with the process: the next run reads the page the first never finished.
    r = ann("refresh", "--json")
    assert r.exit_code == 0, r
    assert {p["id"]: p["status"] for p in json.loads(r.stdout)["products"]}[stuck_id] == "changed"


def test_two_refreshes_at_once_the_second_says_one_is_running(ann, store, db_rows):
    add_to_cart(ann, store.add("/stuck"), store.add("/other", host=1))
    stuck = threading.Event()
    store.pages["/stuck"].stall = stuck
    store.reset_counts()  # the pages were read by cart add
    proc = start_refresh(ann.db_url)
    try:
        wait_for(lambda: store.hits("/stuck"), "the first refresh to be reading")
        asked = len(store.requests)
        r = ann("refresh")
        assert r.exit_code == 9, r
        assert r.stderr == (
            "Error: a refresh of this database is already running; try again when it has finished\n"
        )
        assert len(store.requests) == asked  # the second read no page
    finally:
        stuck.set()
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, (out, err)
    assert "Checked 2 products" in err
    assert ann("refresh").exit_code == 0  # and once it has finished, the next one runs


# ---------------------------------------------------------------- on a terminal


def test_progress_bar_on_a_terminal_and_none_when_piped(ann, store):
    add_to_cart(ann, store.add("/a"), store.add("/b", host=1))
    store.pages["/a"].delay = store.pages["/b"].delay = 0.5  # long enough for the bar to be drawn
    code, screen, out = run_with_terminal_on("stderr", ["--db", ann.db_url, "refresh"], timeout=60)
    assert (code, out) == (0, ""), screen
    assert "Reading pages" in screen and "2/2" in screen  # Rich's bar: done / total
    assert "Checked 2 products: 0 changed, 2 unchanged, 0 failed; 0 alerts fired." in screen
    r = ann("refresh")  # stderr is not a terminal here
    assert "Reading pages" not in r.stderr and "\x1b" not in r.stderr


def test_cart_add_of_several_pages_shows_progress_on_a_terminal_only(ann, store):
    urls = [store.add(f"/p{n}", host=n, name=f"Thing {n}", delay=0.5) for n in range(2)]
    code, screen, out = run_with_terminal_on("stderr", ["--db", ann.db_url, "cart", "add", *urls], timeout=60)
    assert (code, out) == (0, ""), screen
    assert "Reading product pages" in screen
    assert "Cart: 1 x product 2 (Thing 1); quantity now 1." in screen
    r = ann("cart", "add", store.add("/q", name="Quiet", delay=0.2))
    assert r.exit_code == 0, r
    assert "Reading" not in r.stderr and "\x1b" not in r.stderr


# ---------------------------------------------------------------- alerts, end to end


@pytest.fixture
def receiver(monkeypatch):
    pytest.importorskip("apprise")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    served = Receiver()
    yield served
    served.close()


def test_a_watched_price_drop_alerts_once_through_apprise(ann, store, receiver, monkeypatch):
    (pid,) = add_to_cart(ann, store.add("/mug", price="20.00"))
    r = ann("product", "watch", str(pid), "--below", "15")
    assert r.exit_code == 0, r

    store.pages["/mug"].price = "12.00"
    r = ann("refresh", "--notify", receiver.url())
    assert r.exit_code == 0, r
    alert = f"Alert: product {pid} (Blue Mug) is 12.00 USD, at or below your mark (mark 15.00 USD)"
    assert r.stdout.splitlines() == [alert]
    assert "1 alert fired." in r.stderr
    assert len(receiver.received) == 1
    path, sent = receiver.received[0]
    text = sent["title"] + " " + sent["message"]
    assert path == "/hook" and "Blue Mug" in text and "12.00" in text and "15.00" in text

    # The same price again: the crossing was alerted already.
    r = ann("refresh", "--notify", receiver.url())
    assert (r.exit_code, r.stdout) == (0, ""), r
    assert "0 alerts fired." in r.stderr
    assert len(receiver.received) == 1

    # A new low below the mark alerts again, to the URLs in ISHOP4U_NOTIFY_URLS; --quiet prints only it.
    store.pages["/mug"].price = "10.00"
    monkeypatch.setenv("ISHOP4U_NOTIFY_URLS", f" {receiver.url()} ,")
    r = ann("refresh", "--quiet")
    assert r.exit_code == 0, r
    assert (r.stdout.count("Alert:"), r.stderr) == (1, "")
    assert "10.00 USD, new low" in r.stdout
    assert len(receiver.received) == 2


def test_an_unreachable_notification_url_is_a_warning_and_loses_nothing(ann, store, receiver):
    (pid,) = add_to_cart(ann, store.add("/mug", price="20.00"))
    assert ann("product", "watch", str(pid), "--below", "15").exit_code == 0
    store.pages["/mug"].price = "12.00"
    receiver.close()  # nobody listens there now
    r = ann("refresh", "--json", "--notify", receiver.url() + "?token=SECRET-TOKEN")
    assert r.exit_code == 0, r
    doc = json.loads(r.stdout)
    assert doc["alerts"][0]["price"] == "12.00" and doc["products"][0]["new_price"] == "12.00"
    assert "Warning: notification URL" in r.stderr and "SECRET-TOKEN" not in r.stderr
    assert prices(ann)[pid] == "12.00"
