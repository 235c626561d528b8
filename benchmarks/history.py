"""ishop4u cart list with price history: a 100-item cart whose products have 1,000 observations each,
against the same cart with no history.

    python benchmarks/history.py              # 11 runs a case, median
    python benchmarks/history.py --runs 21    # steadier medians on a busy machine
    python benchmarks/history.py --explain    # also: every SQL statement cart list --json runs on the
                                              # history database, its time and SQLite's query plan
    python benchmarks/history.py --keep       # keep the temporary directory and say where it is

As bench.py and startup.py do: a temporary directory with its own HOME, the
bytecode compiled once, each case run in alternation with its baseline after
one warm-up run of each, output to a pipe this script reads (and checked once).

The data: a 100-item cart made by `cart import` (bench.py's cart CSV), copied
twice. The history copy gets, by bulk SQL, 1,000 observations of every product
in it (origin "page", one an hour back from now, the newest one equal to the
product's price) and one `page_checks` row a product (the latest read: every
tenth product out of stock); half the products' prices moved since they were
added, as a refresh would leave them. The copy with no history has no
observation and no page check at all.

Target (issue 11): `cart list` with history within 1.1x of `cart list` with none (the query reads
the latest observation through an index, not the whole history); `cart list --json` likewise.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import PY, done_with, machine, report, write_cart_csv  # sibling scripts
from startup import Results, Startup, line, ratio

OBSERVATIONS = 1_000  # a product
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy's DateTime is stored in SQLite


def add_history(path: Path, per_product: int, *, seed: int = 11) -> int:
    """Give every product in the database PER_PRODUCT observations and a page check; rows written."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    with sqlite3.connect(path) as conn:
        products = conn.execute("SELECT id, price, currency FROM products ORDER BY id").fetchall()
        rows = []
        for pid, price, currency in products:
            cents = round(float(price) * 100) if price is not None else 1999
            if pid % 2 == 0:  # moved since it was added
                cents = max(1, cents + rng.choice((-1, 1)) * rng.randint(1, max(1, cents // 5)))
                conn.execute("UPDATE products SET price = ? WHERE id = ?", (f"{cents / 100:.2f}", pid))
            for k in range(per_product - 1, -1, -1):  # oldest first, the newest at `now`
                at = (now - timedelta(hours=k)).strftime(STAMP)
                past = cents if k == 0 else max(1, cents + rng.randint(-cents // 4, cents // 4))
                stock = "out_of_stock" if k == 0 and pid % 10 == 0 else "in_stock"
                rows.append((pid, at, f"{past / 100:.2f}", currency, stock, "page"))
        conn.executemany(
            "INSERT INTO price_observations (product_id, observed_at, price, currency, availability, origin) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        conn.executemany(
            "INSERT INTO page_checks (product_id, checked_at, availability) VALUES (?, ?, ?) "
            "ON CONFLICT (product_id) DO UPDATE SET checked_at = excluded.checked_at, "
            "availability = excluded.availability",
            [
                (pid, now.strftime(STAMP), "out_of_stock" if pid % 10 == 0 else "in_stock")
                for pid, _, _ in products
            ],
        )
        conn.execute("ANALYZE")
        return len(rows)


def drop_history(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM price_observations")
        conn.execute("DELETE FROM page_checks")
        conn.execute("ANALYZE")
    with sqlite3.connect(path) as conn:
        conn.execute("VACUUM")


# ---------------------------------------------------------------- the statements, explained

_TRACE = r"""
import json, sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
statements = []
@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, cursor, statement, parameters, context, executemany):
    conn.info["t0"] = time.perf_counter()
@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):
    ms = (time.perf_counter() - conn.info.pop("t0")) * 1000
    statements.append({"sql": statement, "params": list(parameters) if not executemany else None, "ms": ms})
sys.argv = ["ishop4u", *json.loads(sys.argv[1])]
from ishop4u_cli.app import main
try:
    main()
except SystemExit:
    pass
sys.stdout.flush()
print(json.dumps(statements), file=sys.stderr)
"""


def explain(b: Startup, db: Path, args: list[str]) -> None:
    """Run `ishop4u --db DB ARGS` in-process with every SQL statement recorded; print each with its
    time and SQLite's EXPLAIN QUERY PLAN."""
    proc = subprocess.run(
        [PY, "-c", _TRACE, json.dumps(["--db", str(db), *args])],
        env=b.env,
        capture_output=True,
        text=True,
        check=False,
    )
    statements = json.loads(proc.stderr.strip().splitlines()[-1])
    print(
        f"\nthe SQL of `ishop4u {' '.join(args)}` on {db.name}, in order "
        "(the time each took to execute, before its rows were fetched; SQLite's query plan):"
    )
    with sqlite3.connect(db) as conn:
        for s in statements:
            sql = " ".join(s["sql"].split())
            print(f"  {s['ms']:7.2f} ms  {sql}")
            if not sql.upper().startswith(("SELECT", "WITH")):
                continue
            try:
                plan = conn.execute("EXPLAIN QUERY PLAN " + s["sql"], s["params"] or ()).fetchall()
            except sqlite3.Error as exc:
                print(f"             (no plan: {exc})")
                continue
            for _id, _parent, _, detail in plan:
                print(f"             plan: {detail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="timed runs per case (default 11)")
    parser.add_argument("--items", type=int, default=100, help="items in the cart (default 100)")
    parser.add_argument(
        "--observations", type=int, default=OBSERVATIONS, help="observations a product (default 1,000)"
    )
    parser.add_argument("--explain", action="store_true", help="print the SQL and query plans of cart list")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    opts = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="ishop4u-history-"))
    b = Startup(root, opts.runs)
    try:
        print(machine())
        print(f"program: {' '.join(b.cmd)}; {opts.runs} runs a case, median; output to a pipe")
        print("building the data ...", flush=True)
        empty = b.empty_db()
        cart_csv = root / "cart.csv"
        write_cart_csv(cart_csv, opts.items)
        base = b.signed_in_copy(empty, "base.db")
        b.ishop(base, "cart", "import", str(cart_csv))
        none = b.signed_in_copy(base, "no-history.db")
        drop_history(none)
        history = b.signed_in_copy(base, "history.db")
        drop_history(history)
        written = add_history(history, opts.observations)
        print(
            f"  {opts.items}-item cart; history: {written:,} observations ({opts.observations:,} a product) "
            f"and {opts.items} page checks; no history: none of either"
        )

        results: Results = []

        def has_items(out: str) -> bool:
            return out.count("\n") > opts.items // 2

        def json_items(out: str) -> bool:
            return len(json.loads(out)["items"]) == opts.items

        for args, check, label in (
            (["cart", "list"], has_items, "cart list"),
            (["cart", "list", "--json"], json_items, "cart list --json"),
        ):
            print(f"\n{label} ({opts.items} items)")
            with_history, without = b.pair_piped(
                [*b.cmd, "--db", str(history), *args], [*b.cmd, "--db", str(none), *args], check_a=check
            )
            line(f"ishop4u {label}, {opts.observations:,} observations a product", with_history)
            line(f"ishop4u {label}, no history", without)
            ratio(results, f"{label} with history / with none", with_history, without, 1.1)

        *_, out = b.run_piped([*b.cmd, "--db", str(history), "cart", "list", "--json"])
        item = json.loads(out)["items"][0]
        shown = [k for k in ("price_when_added", "price_change", "availability", "checked_at") if k in item]
        print(f"\n(history fields in cart list --json: {', '.join(shown) if shown else 'none yet'})")

        if opts.explain:
            explain(b, history, ["cart", "list", "--json"])

        report(results)
    finally:
        done_with(root, keep=opts.keep)


if __name__ == "__main__":
    main()
