"""ishop4u refresh benchmark: 500 product pages on 50 local hosts, each answering after 200 ms.

    python benchmarks/refresh.py               # --jobs default (8), 32 and 1; 3 runs each, median
    python benchmarks/refresh.py --runs 5      # steadier medians
    python benchmarks/refresh.py --sequential-sample 50  # --jobs 1 over 1 and 50 products, extrapolated
    python benchmarks/refresh.py --keep        # keep the temporary directory and say where it is

The pages are served by this script: one asyncio HTTP server on each of the
loopback addresses 127.0.0.2 to 127.0.0.51 (distinct hosts on Linux; all on
one port), in a thread of this process. Every page answers after 200 ms with a
product page carrying a schema.org JSON-LD Product (price, currency,
availability); the price changes from one run to the next, so every run records
a new observation of every product. The server counts the requests and the
most it had in flight at once, overall and on any one host, so the run can be
checked against `--jobs` and the limit of 2 a host.

The database is a SQLite file in the temporary directory: a signed-in user
whose cart holds the 500 products (made by `cart import`, no page read), copied
back before every run so that each run starts from the same file.
`ishop4u refresh` (the cart, by default) runs in a subprocess: wall time, CPU
time and peak resident memory (ru_maxrss) come from the kernel's wait4.

Targets (issue 11): within 3x of the ideal `ceil(500 / min(jobs, 2 x 50)) x 0.2 s` at the
default --jobs and at --jobs 32; --jobs 32 at least 20x faster than --jobs 1; peak memory
under 150 MB. --jobs 1 reads all 500 pages once (no warm-up: the runs before it compiled the
bytecode); with --sequential-sample N it reads 1 and N products (one a host, named by id) and
the straight line through the two times is extrapolated to 500. The page servers' own CPU
time (this process) is shown beside the refresh's: they share the machine's cores. Each
run's wall time is split where the servers saw it: before the first page was asked for
(start-up, the products to read, the readers' set-up), the pages (first request to last
answer; its ideal is the one above), and after the last page (its write, the summary, exit).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import Bench, done_with, machine, report  # a sibling script

HOSTS = [f"127.0.0.{i}" for i in range(2, 52)]  # 50 loopback addresses: distinct hosts
PER_HOST = 2  # refresh's limit of pages at once on one host (issue 11)
DEFAULT_JOBS = 8


# ---------------------------------------------------------------- the page server


def page_html(n: int, price: str) -> bytes:
    product = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": f"Bench product {n}",
        "sku": f"B-{n}",
        "offers": {
            "@type": "Offer",
            "price": price,
            "priceCurrency": "USD",
            "availability": "https://schema.org/InStock" if n % 10 else "https://schema.org/OutOfStock",
        },
    }
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>Bench product {n}</title>"
        f'<script type="application/ld+json">{json.dumps(product)}</script>'
        f"</head><body><h1>Bench product {n}</h1><p>{'Lorem ipsum dolor sit amet. ' * 200}</p>"
        "</body></html>"
    ).encode()


class PageServer:
    """One asyncio HTTP/1.1 server on each of HOSTS (same port), pages answering after DELAY seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.round = 0  # prices change with it: set before each run
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.first_request = self.last_response = 0.0  # time.perf_counter() of this process
        self.by_host: Counter[str] = Counter()
        self.in_flight: Counter[str] = Counter()
        self.total_in_flight = 0
        self.max_total = 0
        self.max_on_a_host = 0
        self.statuses: Counter[int] = Counter()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(timeout=30)

    async def _listen(self) -> None:
        self.servers = []
        for host in HOSTS:
            server = await asyncio.start_server(self._client, host, self.port, backlog=256)
            self.port = server.sockets[0].getsockname()[1]  # the first picks the port; the rest share it
            self.servers.append(server)

    def stop(self) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()
            # Connections still open (a run that failed half-way): end them while the loop runs.
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = writer.get_extra_info("sockname")[0]
        try:
            while True:  # keep-alive: one request after another on the connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                parts = request_line.split()
                path = parts[1] if len(parts) > 1 else "/"
                self.requests += 1
                if not self.first_request:
                    self.first_request = time.perf_counter()
                self.by_host[host] += 1
                self.in_flight[host] += 1
                self.total_in_flight += 1
                self.max_on_a_host = max(self.max_on_a_host, self.in_flight[host])
                self.max_total = max(self.max_total, self.total_in_flight)
                try:
                    await asyncio.sleep(self.delay)
                finally:
                    self.in_flight[host] -= 1
                    self.total_in_flight -= 1
                status, body = self._page(path)
                self.statuses[status] += 1
                self.last_response = time.perf_counter()
                writer.write(
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\n"
                    "Content-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\n"
                    "Cache-Control: no-cache\r\n\r\n".encode()
                    + (body if parts and parts[0] != "HEAD" else b"")
                )
                await writer.drain()
                if b"connection: close" in head.lower():
                    return
        except ConnectionError:
            return
        finally:
            writer.close()

    def _page(self, path: str) -> tuple[int, bytes]:
        prefix = "/products/item-"
        if not path.startswith(prefix) or not path[len(prefix) :].split("?")[0].isdigit():
            return 404, b"not found"
        n = int(path[len(prefix) :].split("?")[0])
        cents = 1000 + (n * 37) % 9000 + (self.round % 7) * 13  # a new price each round
        return 200, page_html(n, f"{cents // 100}.{cents % 100:02d}")

    def url(self, n: int) -> str:
        return f"http://{HOSTS[n % len(HOSTS)]}:{self.port}/products/item-{n}"


# ---------------------------------------------------------------- the runs


def ideal(pages: int, jobs: int, delay: float) -> float:
    return math.ceil(pages / min(jobs, PER_HOST * len(HOSTS))) * delay


class RefreshBench(Bench):
    def timed(self, args: list[str]) -> tuple[float, float, float, str, str]:
        """Run ARGS once: (wall s, CPU s, peak RSS MB, stdout, stderr); exit 0 required."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            start = time.perf_counter()
            proc = subprocess.Popen(args, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            end = time.perf_counter()
            elapsed = end - start
            self.started, self.ended = start, end
            code = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if code != 0:
            raise SystemExit(f"failed ({code}): {' '.join(args)}\n{stdout[-2000:]}\n{stderr[-2000:]}")
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout, stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs a case (default 3), median")
    parser.add_argument("--products", type=int, default=500, help="products in the cart (default 500)")
    parser.add_argument("--delay", type=float, default=0.2, help="each page's answer time (default 0.2 s)")
    parser.add_argument(
        "--jobs", default=f"{DEFAULT_JOBS},32", help="--jobs values to time on every product (default 8,32)"
    )
    parser.add_argument(
        "--sequential-runs", type=int, default=1, help="timed runs of --jobs 1 (default 1: about 2 minutes)"
    )
    parser.add_argument(
        "--sequential-sample",
        type=int,
        default=0,
        help="--jobs 1 over this many products (and over 1), extrapolated to all (default 0: all of them)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--tmpdir", help="where to make the temporary directory (e.g. /dev/shm)")
    parser.add_argument("--setup-only", action="store_true", help="build the data and serve one round")
    opts = parser.parse_args()
    n = opts.products
    job_values = [int(j) for j in opts.jobs.split(",") if j.strip()]

    root = Path(tempfile.mkdtemp(prefix="ishop4u-refresh-", dir=opts.tmpdir))
    b = RefreshBench(root, opts.runs)
    # The page reads go straight to the local servers: no proxy of the environment in between.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        b.env.pop(var, None)
    b.env["NO_PROXY"] = b.env["no_proxy"] = "127.0.0.0/8,localhost"
    server = PageServer(opts.delay)
    server.start()
    try:
        print(machine())
        print(
            f"program: {' '.join(b.cmd)}; {n} products on {len(HOSTS)} hosts "
            f"({HOSTS[0]}-{HOSTS[-1]}, port {server.port}), each page after {opts.delay * 1000:.0f} ms; "
            f"{opts.runs} runs a case, median"
        )
        print("building the data ...", flush=True)
        cart_csv = root / "cart.csv"
        with open(cart_csv, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["name", "url", "price", "currency", "quantity"])
            for i in range(n):
                w.writerow([f"Bench product {i}", server.url(i), "10.00", "USD", 1])
        template = b.empty_db()
        b.ishop(template, "cart", "import", str(cart_csv))
        db_path = root / "refresh.db"
        saved = root / "refresh-template.db"

        def fresh_copy() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(saved, db_path)

        # Sign in to the copy's path once: the session file names the database, the token is in it.
        shutil.copyfile(template, db_path)
        b.ishop(
            db_path, "user", "login", "bench@example.com", "--password-stdin", stdin="bench-password-123\n"
        )
        b.run([*b.cmd, "--db", str(db_path), "db", "backup", str(saved)])
        product_ids = _cart_product_ids(b, db_path)
        assert len(product_ids) == n, f"the cart holds {len(product_ids)} products, not {n}"

        if opts.setup_only:
            server.round += 1
            print(f"data in {root}; pages served at {server.url(0)} ...; the cart of {db_path}")
            input("press Enter to stop the servers ")
            return

        results: list[tuple[str, bool | None]] = []

        def case(jobs: int, ids: list[int], *, runs: int, warm_up: bool = True, target: bool = True) -> float:
            """Time `refresh` of IDS (default: the cart) at JOBS; print the figures; the median wall time."""
            pages = len(ids) if ids else n
            args = [*b.cmd, "--db", str(db_path), "refresh", *map(str, ids), "--jobs", str(jobs)]
            label = f"refresh --jobs {jobs}" + (
                f" ({pages} products named by id)" if ids else f" ({n} products)"
            )
            samples = []
            for i in range(runs + warm_up):  # a warm-up run first, not counted
                fresh_copy()
                server.round += 1
                server.reset()
                server_cpu = time.process_time()  # this process: the page servers' thread, nothing else
                wall, cpu, rss, out, err = b.timed(args)
                server_cpu = time.process_time() - server_cpu
                if server.statuses[200] != pages:
                    raise SystemExit(
                        f"{label}: the servers answered {dict(server.statuses)} requests, not {pages} pages"
                        f"\n{out[-1000:]}\n{err[-1000:]}"
                    )
                if warm_up and i == 0:
                    summary = err.strip().splitlines()[-1] if err.strip() else out[-200:]
                    print(f"  ({label}, warm-up: {summary})")
                    continue
                phases = (
                    server.first_request - b.started,  # start-up: until the first page is asked for
                    server.last_response - server.first_request,  # the pages
                    b.ended - server.last_response,  # after the last page: its write, the summary, exit
                )
                samples.append((wall, cpu, rss, server.max_total, server.max_on_a_host, server_cpu, phases))
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            rss = max(s[2] for s in samples)
            most, most_host = max(s[3] for s in samples), max(s[4] for s in samples)
            server_cpu = statistics.median(s[5] for s in samples)
            before, during, after = (statistics.median(s[6][k] for s in samples) for k in range(3))
            best = ideal(pages, jobs, opts.delay)
            print(
                f"  {label:<44} {wall:7.2f} s  cpu {cpu:5.2f} s (servers {server_cpu:4.2f} s)  "
                f"peak RSS {rss:4.0f} MB  ideal {best:6.2f} s  ratio {wall / best:4.2f}x  "
                f"in flight: at most {most}, {most_host} a host   (runs: {', '.join(f'{s[0]:.2f}' for s in samples)})",
                flush=True,
            )
            print(
                f"  {'':<44} before the first page {before:5.2f} s, pages {during:6.2f} s "
                f"(ideal {best:.2f} s), after the last {after:5.2f} s",
                flush=True,
            )
            if most_host > PER_HOST or most > jobs:
                results.append(
                    (f"{label}: {most} pages at once, {most_host} on one host: over the limits", False)
                )
            if target:
                results.append(
                    (
                        f"{label} = {wall:.2f} s, {wall / best:.2f}x the ideal {best:.2f} s, target <= 3x",
                        wall / best <= 3,
                    )
                )
            results.append((f"{label}: peak RSS {rss:.0f} MB, target < 150 MB", rss < 150))
            return wall

        print("\nrefresh of the cart")
        parallel = {jobs: case(jobs, [], runs=opts.runs) for jobs in job_values}
        sample = opts.sequential_sample
        if sample and sample < n:
            # One product a host: the cart was imported in order, product i (from 0) on host i % 50.
            # A straight line through the times of 1 and SAMPLE products: start-up once, pages n times.
            one = case(1, product_ids[:1], runs=opts.sequential_runs, warm_up=False, target=False)
            some = case(1, product_ids[:sample], runs=opts.sequential_runs, warm_up=False, target=False)
            sequential = one + (some - one) / (sample - 1) * (n - 1)
            note = f" (extrapolated from 1 and {sample} pages)"
        else:
            sequential = case(1, [], runs=opts.sequential_runs, warm_up=False, target=False)
            note = ""
        print(f"  --jobs 1 over {n} pages{note}: {sequential:.1f} s (ideal {ideal(n, 1, opts.delay):.1f} s)")
        for jobs, wall in parallel.items():
            speedup = sequential / wall
            results.append(
                (
                    f"--jobs {jobs} speed-up over --jobs 1{note} = {speedup:.1f}x"
                    + (", target >= 20x" if jobs == 32 else ""),
                    speedup >= 20 if jobs == 32 else None,
                )
            )

        report(results)
    finally:
        server.stop()
        done_with(root, keep=opts.keep)


def _cart_product_ids(b: RefreshBench, db_path: Path) -> list[int]:
    *_, out, _ = b.timed([*b.cmd, "--db", str(db_path), "cart", "list", "--json"])
    doc = json.loads(out)
    return sorted(item["product_id"] for item in doc["items"])


if __name__ == "__main__":
    main()
