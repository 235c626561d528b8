"""ishop4u benchmarks: start-up, bulk import, scale and memory, as medians and ratios.

    python benchmarks/bench.py            # the full run (100,000 products, 10,000-item cart)
    python benchmarks/bench.py --quick    # a smaller, faster run (10,000 products, 3 runs a case)
    python benchmarks/bench.py --keep     # keep the temporary directory and say where it is

Everything happens in a temporary directory with its own HOME: the data is
built there (SQLite databases and CSV files), never in the user's directories,
and Python's bytecode cache goes there too (PYTHONPYCACHEPREFIX), so that a
source checkout is measured as an installed program runs: compiled once.
Each case runs the real program in a subprocess, paired with its baseline: one
warm-up run of each, then N runs alternating between the two, so that whatever
else the machine is doing weighs on both alike. Medians of wall time are
reported, with the CPU time (user + system, from the kernel's wait4) beside
them as a steadier check on a busy machine; the import's peak resident memory
is wait4's ru_maxrss. It is a script, not a test: pytest never collects it.

The cases and their targets (from issue 6):

- start-up: `ishop4u cart list` over a 100-item cart vs `python -c "import typer,
  rich.table, sqlmodel"` (<= 1.15x); `ishop4u --help` vs `python -c "import typer"` (<= 1.5x).
- bulk (issue 10): `ishop4u product import FILE.csv` of 100,000 products into a new
  database file vs `sqlite-utils insert FRESH.db products FILE.csv --csv` (pip install
  sqlite-utils; not a dependency of ishop4u) on the same file (<= 1.3x). An import needs a
  signed-in account, so ishop4u's new file is migrated and holds that account before the
  timing starts (until issue 14 its migrations were timed too). sqlite-utils commits
  every 100 rows, so on a disk with slow fsync it is slow for reasons of its own: run
  with --tmpdir /dev/shm as well to compare the work rather than the disk.
- scale: `cart list --json` over a 10,000-item cart vs the 100-item cart (<= 2x);
  `product list --search` over 100,000 products: under the start-up cost
  (`cart list` over 100 items) + 0.2 s.
- memory: peak RSS of the 100,000-product import < 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PY = sys.executable

# One word a line would take 57 lines.
_WORD_TEXT = (
    "blue red green black white steel oak linen wool cotton ceramic glass bamboo leather mug cup bowl plate"
    " lamp chair desk shelf towel blanket pillow basket jar vase clock kettle pan knife spoon bottle bag"
    " wallet scarf hat sock shirt jacket shoe boot watch handmade vintage small large round square travel"
    " kitchen garden office kids"
)
WORDS = _WORD_TEXT.split()


def sqlite_utils() -> str | None:
    """sqlite-utils, the bulk import's yardstick (pip install sqlite-utils; never a dependency)."""
    beside = Path(PY).with_name("sqlite-utils")
    return str(beside) if beside.exists() else shutil.which("sqlite-utils")


@dataclass
class Timing:
    median: float  # wall seconds
    runs: list[float]
    cpu: float  # median user + system CPU seconds: steadier than wall time on a busy machine
    peak_rss_mb: float  # the largest of the runs


def _timing(samples: list[tuple[float, float, float]]) -> Timing:
    return Timing(
        median=statistics.median(s[0] for s in samples),
        runs=[s[0] for s in samples],
        cpu=statistics.median(s[1] for s in samples),
        peak_rss_mb=max(s[2] for s in samples),
    )


def program() -> list[str]:
    """The installed `ishop4u` script beside this Python, else `python -m ishop4u_cli`."""
    script = Path(PY).with_name("ishop4u")
    if script.exists():
        return [str(script)]
    return [PY, "-m", "ishop4u_cli"]


class Bench:
    def __init__(self, root: Path, runs: int) -> None:
        self.root = root
        self.runs = runs
        home = root / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ISHOP4U_")}
        # An installed ishop4u has its bytecode compiled (pip does it); a source tree run with
        # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run. Bytecode goes
        # to a cache of this run's own, for ishop4u and the baselines alike (warm-up fills it).
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
        self.env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            NO_COLOR="1",
        )
        # Only the setup's `user add` hashes a password; the cases never do.
        self.env["ISHOP4U_INSECURE_FAST_HASHING_FOR_TESTS"] = "1"
        self.cmd = program()

    # ------------------------------------------------------------ running

    def run(
        self, args: list[str], *, stdin: str | None = None, check: bool = True
    ) -> tuple[float, float, float]:
        """Run ARGS once: (wall seconds, CPU seconds, peak RSS in MB), from the kernel's wait4."""
        start = time.perf_counter()
        proc = subprocess.Popen(
            args,
            env=self.env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if check and proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(args)}\n{err}")
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: kilobytes

    def ishop(self, db: Path, *args: str, stdin: str | None = None) -> None:
        self.run([*self.cmd, "--db", str(db), *args], stdin=stdin)

    def pair(self, a, b, *, setup_a=None, setup_b=None, runs: int | None = None) -> tuple[Timing, Timing]:
        """Time two commands (argument lists) in alternation, after one warm-up run of each, so
        that whatever else the machine does weighs on both alike; SETUP_* run untimed before each."""
        samples: tuple[list, list] = ([], [])
        for i in range((runs or self.runs) + 1):
            for side, (args, setup) in enumerate(((a, setup_a), (b, setup_b))):
                if setup is not None:
                    setup()
                sample = self.run(args)
                if i > 0:
                    samples[side].append(sample)
        return _timing(samples[0]), _timing(samples[1])

    # ------------------------------------------------------------ data

    def empty_db(self) -> Path:
        """A database at the newest revision with one signed-in user."""
        path = self.root / "empty.db"
        self.run(
            [*self.cmd, "--db", str(path), "user", "add", "Bench", "bench@example.com", "--password-stdin"],
            stdin="bench-password-123\n",
        )
        return path

    def copy(self, src: Path, name: str) -> Path:
        dst = self.root / name
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        shutil.copyfile(src, dst)
        return dst

    def signed_in_copy(self, src: Path, name: str) -> Path:
        """A copy of SRC with the bench user signed in to it (sessions are per database)."""
        path = self.copy(src, name)
        self.ishop(
            path, "user", "login", "bench@example.com", "--password-stdin", stdin="bench-password-123\n"
        )
        return path


def product_url(i: int, rng: random.Random) -> str:
    kind = i % 5
    if kind == 0:
        asin = (
            "B0" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7)) + str(i % 10)
        )
        return f"https://www.amazon.com/dp/{asin}{i}?ref=sr_1_{i % 40}&utm_source=bench"
    if kind == 1:
        return f"https://www.ebay.com/itm/{100000000000 + i}?hash=item{i:x}"
    if kind == 2:
        return f"https://www.etsy.com/listing/{500000000 + i}/{rng.choice(WORDS)}-{rng.choice(WORDS)}"
    if kind == 3:
        return f"https://www.walmart.com/ip/{rng.choice(WORDS)}-{rng.choice(WORDS)}/{700000000 + i}"
    return f"https://shop{i % 97}.example.com/products/item-{i}?variant={i % 7}&utm_campaign=x"


def write_products_csv(path: Path, n: int, *, seed: int = 6) -> None:
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "url", "price", "currency", "source", "image"])
        for i in range(n):
            name = " ".join(rng.choice(WORDS) for _ in range(3))
            if i % 9973 == 0:
                name += " zebra"  # what the search benchmark looks for: a handful of rows
            price = "" if i % 50 == 0 else f"{rng.randint(1, 99999) / 100:.2f}"
            currency = ("USD", "USD", "USD", "EUR", "GBP")[i % 5]
            image = f"https://img.example.com/{i}.jpg" if i % 3 == 0 else ""
            w.writerow([name, product_url(i, rng), price, currency, "", image])


def write_cart_csv(path: Path, n: int, *, seed: int = 7) -> None:
    """A `cart import` CSV of N items (products are created on the way)."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "url", "price", "currency", "quantity", "notes"])
        for i in range(n):
            name = " ".join(rng.choice(WORDS) for _ in range(3))
            price = f"{rng.randint(1, 99999) / 100:.2f}"
            notes = "gift, wrap it" if i % 10 == 0 else ""
            w.writerow(
                [
                    name,
                    product_url(i + 10_000_000, rng),
                    price,
                    ("USD", "EUR")[i % 2],
                    rng.randint(1, 5),
                    notes,
                ]
            )


# ---------------------------------------------------------------- what every benchmark script prints


def machine() -> str:
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}"
    )


def chosen_cases(parser: argparse.ArgumentParser, given: str, known: list[str]) -> set[str]:
    """The groups named in --cases GIVEN (comma-separated); a usage error for one not in KNOWN."""
    cases = {c.strip() for c in given.split(",") if c.strip()}
    unknown = cases - set(known)
    if unknown:
        parser.error(f"unknown case {sorted(unknown)[0]!r}: use {', '.join(known[:-1])} or {known[-1]}")
    return cases


def done_with(root: Path, *, keep: bool) -> None:
    """The run's temporary directory removed, or with --keep kept and its path printed."""
    if keep:
        print(f"\ndata kept in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def report(results: list[tuple[str, bool | None]]) -> None:
    """The closing table: each ratio or figure, met or MISSED against its target (blank: no target)."""
    print("\nratios and targets")
    for text, ok in results:
        mark = "" if ok is None else ("met" if ok else "MISSED")
        print(f"  [{mark:^6}] {text}")


# ---------------------------------------------------------------- report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 products, 1,000-item cart, 3 runs")
    parser.add_argument("--runs", type=int, help="timed runs per case (default 7; 5 for imports)")
    parser.add_argument("--products", type=int, help="products to import (default 100,000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--tmpdir", help="where to make the temporary directory (e.g. /dev/shm)")
    parser.add_argument(
        "--cases",
        default="startup,bulk,scale",
        help="which groups to run, comma-separated: startup, bulk, scale (default: all)",
    )
    opts = parser.parse_args()
    cases = chosen_cases(parser, opts.cases, ["startup", "bulk", "scale"])

    n_products = opts.products or (10_000 if opts.quick else 100_000)
    n_big_cart = 1_000 if opts.quick else 10_000
    runs = opts.runs or (3 if opts.quick else 7)
    import_runs = opts.runs or (3 if opts.quick else 5)

    root = Path(tempfile.mkdtemp(prefix="ishop4u-bench-", dir=opts.tmpdir))
    b = Bench(root, runs)
    try:
        print(machine())
        print(f"program: {' '.join(b.cmd)}; {runs} runs a case ({import_runs} for imports), median")
        print("building the data ...", flush=True)
        products_csv = root / "products.csv"
        write_products_csv(products_csv, n_products)
        if cases & {"startup", "scale"}:  # the bulk case needs only the CSV file
            empty = b.empty_db()
            cart100_csv, cart_big_csv = root / "cart100.csv", root / "cart_big.csv"
            write_cart_csv(cart100_csv, 100)
            write_cart_csv(cart_big_csv, n_big_cart)
            db100 = b.signed_in_copy(empty, "cart100.db")
            b.ishop(db100, "cart", "import", str(cart100_csv))
            db_big = b.signed_in_copy(empty, "cart_big.db")
            b.ishop(db_big, "cart", "import", str(cart_big_csv))
            db_products = b.signed_in_copy(empty, "products.db")
            b.ishop(db_products, "product", "import", str(products_csv))
            # 100 products, for the search baseline
            db_small_products = b.signed_in_copy(db100, "products100.db")

        results: list[tuple[str, bool | None]] = []

        def line(label: str, t: Timing) -> None:
            print(
                f"  {label:<60} {t.median * 1000:7.0f} ms  cpu {t.cpu * 1000:6.0f} ms   (runs: "
                + ", ".join(f"{x * 1000:.0f}" for x in t.runs)
                + ")",
                flush=True,
            )

        def ratio(label: str, a: Timing, b: Timing, target: float) -> None:
            r = a.median / b.median
            results.append(
                (f"{label} = {r:.2f}x (cpu {a.cpu / b.cpu:.2f}x), target <= {target:g}x", r <= target)
            )

        # The start-up pair is measured for the scale case too: it is the search's yardstick.
        cart_list = libs = None
        if cases & {"startup", "scale"}:
            print("\nstart-up")
            cart_list, libs = b.pair(
                [*b.cmd, "--db", str(db100), "cart", "list"], [PY, "-c", "import typer, rich.table, sqlmodel"]
            )
            line("ishop4u cart list (100 items)", cart_list)
            line('python -c "import typer, rich.table, sqlmodel"', libs)
            ratio("cart list (100 items) / import typer, rich.table, sqlmodel", cart_list, libs, 1.15)
        if "startup" in cases:
            help_, typer_only = b.pair([*b.cmd, "--help"], [PY, "-c", "import typer"])
            line("ishop4u --help", help_)
            line('python -c "import typer"', typer_only)
            ratio("--help / import typer", help_, typer_only, 1.5)

        if "bulk" in cases:
            print(
                f"\nbulk: {n_products:,} products into a new database file (ishop4u's: migrated, with the "
                "account an import needs, signed in; made before the timing)"
            )
            yardstick = sqlite_utils()
            if yardstick is None:
                raise SystemExit("the bulk case needs sqlite-utils: pip install sqlite-utils")
            fresh = root / "fresh.db"

            def new_file() -> None:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{fresh}{suffix}").unlink(missing_ok=True)

            # An import needs a signed-in account (issue 14): made once on this very path (the session
            # file is keyed by it), kept, and put back before each run.
            new_file()
            b.ishop(
                fresh,
                "user",
                "add",
                "Bench",
                "bench@example.com",
                "--password-stdin",
                stdin="bench-password-123\n",
            )
            with_account = root / "fresh-with-account.db"
            shutil.copyfile(fresh, with_account)

            def new_file_with_account() -> None:
                new_file()
                shutil.copyfile(with_account, fresh)

            imp, base = b.pair(
                [*b.cmd, "--db", str(fresh), "product", "import", str(products_csv)],
                [yardstick, "insert", str(fresh), "products", str(products_csv), "--csv"],
                setup_a=new_file_with_account,
                setup_b=new_file,
                runs=import_runs,
            )
            line(f"ishop4u product import ({n_products:,} rows, CSV, new file)", imp)
            line("sqlite-utils insert FRESH.db products FILE.csv --csv", base)
            ratio(f"product import / sqlite-utils insert ({n_products:,} rows)", imp, base, 1.3)
            print(
                f"  (CPU a row, start-up included: ishop4u {imp.cpu / n_products * 1e6:.0f} µs, "
                f"sqlite-utils {base.cpu / n_products * 1e6:.0f} µs)"
            )
            print(
                f"  peak RSS of the import: {imp.peak_rss_mb:.0f} MB (sqlite-utils: {base.peak_rss_mb:.0f} MB)"
            )
            results.append(
                (f"import peak RSS = {imp.peak_rss_mb:.0f} MB, target < 200 MB", imp.peak_rss_mb < 200)
            )

        if "scale" in cases:
            assert cart_list is not None
            print("\nscale")
            big, small = b.pair(
                [*b.cmd, "--db", str(db_big), "cart", "list", "--json"],
                [*b.cmd, "--db", str(db100), "cart", "list", "--json"],
            )
            line(f"ishop4u cart list --json ({n_big_cart:,} items)", big)
            line("ishop4u cart list --json (100 items)", small)
            ratio(f"cart list --json {n_big_cart:,} / 100 items", big, small, 2)
            search, search_small = b.pair(
                [*b.cmd, "--db", str(db_products), "product", "list", "--search", "zebra"],
                [*b.cmd, "--db", str(db_small_products), "product", "list", "--search", "zebra"],
            )
            line(f"ishop4u product list --search zebra ({n_products:,} products)", search)
            line("ishop4u product list --search zebra (100 products)", search_small)
            limit = cart_list.median + 0.2
            results.append(
                (
                    f"product list --search over {n_products:,} = {search.median * 1000:.0f} ms; start-up "
                    f"(cart list, 100 items) + 0.2 s = {limit * 1000:.0f} ms "
                    f"(the same search over 100 products: {search_small.median * 1000:.0f} ms)",
                    search.median <= limit,
                )
            )

        report(results)
        if opts.quick:
            print(
                "  (--quick: smaller data than the targets are set for; run without it for the real figures)"
            )
    finally:
        done_with(root, keep=opts.keep)


if __name__ == "__main__":
    main()
