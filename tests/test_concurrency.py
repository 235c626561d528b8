"""Concurrent writers lose nothing: many real `ishop4u` processes adding to one cart at once.

Each worker is a thread that runs `python -m ishop4u_cli ... cart add` in a
subprocess, several times in a row; all workers start together (a barrier).
Every process sees the same HOME (the test's), so the same signed-in user.

Every test here is marked `slow`: under pytest-xdist it runs alone, with no other test
beside it on the other worker (tests/conftest.py), so what it measures is these
processes racing each other, not a neighbour's load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from conftest import Run

PROCESSES = 8
RUNS_PER_PROCESS = 2
REPEATS_PER_RUN = 25  # each product named 25 times in one `cart add`: 25 separate upserts of it
ADDS_PER_PROCESS = RUNS_PER_PROCESS * REPEATS_PER_RUN  # 50 adds of each product per process
PRODUCTS = 3

LEAKS = ("database is locked", "could not serialize", "deadlock", "Traceback", "Error")

pytestmark = pytest.mark.slow


def _ishop4u(db_url: str, *args: str, timeout: float = 120) -> Run:
    proc = subprocess.run(
        [sys.executable, "-m", "ishop4u_cli", "--db", db_url, *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _together(n: int, work) -> list[list[Run]]:
    """Run WORK(i) in N threads released at the same moment; each returns its runs."""
    barrier = threading.Barrier(n)

    def start(i: int) -> list[Run]:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(start, range(n)))


def _setup_user(cli) -> None:
    run = cli("user", "add", "Ann", "ann@example.com", "--password-stdin", input="concurrency-pw\n")
    assert run.exit_code == 0, run


def test_concurrent_cart_adds_lose_nothing(cli, db_url, engine):
    _setup_user(cli)
    ids = []
    for i in range(PRODUCTS):
        run = cli(
            "product",
            "add",
            f"https://race.example.com/p/{i}",
            "--name",
            f"Racer {i}",
            "--price",
            "1.25",
            "--no-fetch",
            "--json",
        )
        assert run.exit_code == 0, run
        ids.append(str(i + 1))
    items = ids * REPEATS_PER_RUN  # 1 2 3 1 2 3 ...

    def worker(i: int) -> list[Run]:
        # Half the workers name the products in the other order: unless cart add locks
        # rows in one order, PostgreSQL transactions deadlock here ("deadlock detected").
        order = items if i % 2 == 0 else items[::-1]
        return [_ishop4u(db_url, "cart", "add", *order, "--qty", "1") for _ in range(RUNS_PER_PROCESS)]

    results = _together(PROCESSES, worker)
    for runs in results:
        for run in runs:
            assert run.exit_code == 0, run
            assert not any(leak in run.stderr for leak in LEAKS), run
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT product_id, quantity FROM cart_items ORDER BY product_id")).all()
    expected = PROCESSES * ADDS_PER_PROCESS
    assert expected >= 400
    assert [tuple(r) for r in rows] == [(int(pid), expected) for pid in ids]  # one row each, nothing lost


def test_concurrent_adds_of_a_new_url_store_it_once(cli, db_url, engine):
    """Eight processes adding the same new page at once: one product, one cart row, quantity 8."""
    _setup_user(cli)
    url = "https://race.example.com/products/brand-new-thing?utm_source=mail"

    def worker(i: int) -> list[Run]:
        return [_ishop4u(db_url, "cart", "add", url + f"&utm_campaign={i}", "--no-fetch")]

    for runs in _together(PROCESSES, worker):
        for run in runs:
            assert run.exit_code == 0, run
            assert not any(leak in run.stderr for leak in LEAKS), run
    with engine.connect() as conn:
        products = conn.execute(sa.text("SELECT id, canonical_url FROM products")).all()
        items = conn.execute(sa.text("SELECT product_id, quantity FROM cart_items")).all()
    assert [p.canonical_url for p in products] == ["https://race.example.com/products/brand-new-thing"]
    assert [tuple(i) for i in items] == [(products[0].id, PROCESSES)]
