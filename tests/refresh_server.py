"""A local store for refresh tests: product pages whose price a test changes between runs;
and a local receiver for the alerts a refresh sends.

One server on each of several loopback addresses (127.0.0.2, 127.0.0.3, ...: distinct
hosts on Linux), all sharing one table of pages. A page can answer 304 to its own ETag,
429 or 503 with a Retry-After, stall until the test lets it go, or fail; the server
counts the requests to each page and the most it had in flight at once, on each host
and overall, so tests can check the refresh's limits where they matter: at the server.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    """What one path answers. Change the fields between runs; the server reads them per request."""

    name: str = "Blue Mug"
    price: str = "10.00"
    currency: str = "USD"
    availability: str = "https://schema.org/InStock"
    etag: bool = False  # send an ETag, and answer 304 when the client sends it back
    status: int = 200  # with a body saying so, when not 200
    retry_after: str | None = None  # sent with the status
    failures: int | None = None  # answer STATUS only this many times, then 200
    delay: float = 0.0  # seconds before answering
    stall: threading.Event | None = None  # wait until set (or the server stops)
    body: str | None = None  # the whole page, instead of a product page

    def html(self) -> str:
        if self.body is not None:
            return self.body
        product = {
            "@context": "https://schema.org",
            "@type": "Product",
            "name": self.name,
            "offers": {
                "@type": "Offer",
                "price": self.price,
                "priceCurrency": self.currency,
                "availability": self.availability,
            },
        }
        return (
            f"<html><head><title>{self.name}</title>"
            f'<script type="application/ld+json">{json.dumps(product)}</script></head>'
            f"<body><h1>{self.name}</h1></body></html>"
        )


@dataclass
class Request:
    host: str
    path: str
    at: float  # time.monotonic()
    headers: dict[str, str]
    status: int = 0


@dataclass
class Store:
    """The shared state of the servers: pages by path, and what the clients did."""

    pages: dict[str, Page] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    in_flight: Counter = field(default_factory=Counter)
    peak_per_host: Counter = field(default_factory=Counter)
    peak_total: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bases: list[str] = field(default_factory=list)  # http://127.0.0.2:PORT, ...

    def url(self, path: str, host: int = 0) -> str:
        return self.bases[host] + path

    def add(self, path: str, host: int = 0, **fields) -> str:
        self.pages[path] = Page(**fields)
        return self.url(path, host)

    def hits(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def reset_counts(self) -> None:
        with self.lock:
            self.requests.clear()
            self.peak_per_host.clear()
            self.peak_total = 0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store: Store

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        store = self.store
        host = self.server.server_address[0]
        request = Request(host, self.path, time.monotonic(), {k.lower(): v for k, v in self.headers.items()})
        with store.lock:
            store.requests.append(request)
            store.in_flight[host] += 1
            store.peak_per_host[host] = max(store.peak_per_host[host], store.in_flight[host])
            store.peak_total = max(store.peak_total, sum(store.in_flight.values()))
        try:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                request.status = self.answer(store.pages.get(self.path), request)
        finally:
            with store.lock:
                store.in_flight[host] -= 1

    def answer(self, page: Page | None, request: Request) -> int:
        if page is None:
            return self.send(404, "<html><title>Not found</title></html>")
        if page.stall is not None:
            while not (page.stall.is_set() or self.store.stop.is_set()):
                page.stall.wait(0.05)
        if page.delay:
            self.store.stop.wait(page.delay)
        if page.status != 200 and (page.failures is None or page.failures > 0):
            if page.failures is not None:
                page.failures -= 1
            headers = {"Retry-After": page.retry_after} if page.retry_after is not None else {}
            return self.send(page.status, f"<html><body>status {page.status}</body></html>", headers)
        body = page.html()
        headers = {}
        if page.etag:
            tag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
            headers["ETag"] = tag
            if request.headers.get("if-none-match") == tag:
                return self.send(304, "", headers)
        return self.send(200, body, headers)

    def send(self, status: int, body: str, headers: dict[str, str] | None = None) -> int:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if status != 304:
            self.wfile.write(data)
        return status


def add_product(cli, url: str, *args: str) -> int:
    """`product add URL --no-fetch` with ARGS (its page not read); the new product's id."""
    r = cli("product", "add", url, "--no-fetch", "--json", *args)
    assert r.exit_code == 0, r
    return json.loads(r.stdout)["id"]


def add_to_cart(cli, *urls: str) -> list[int]:
    """Put the pages in the signed-in user's cart (their pages read now); their product ids."""
    r = cli("cart", "add", *urls, "--json")
    assert r.exit_code == 0, r
    return [a["product_id"] for a in json.loads(r.stdout)["added"]]


@contextlib.contextmanager
def serve_store(hosts: int = 3) -> Iterator[Store]:
    """One Store served on 127.0.0.2 ... 127.0.0.(HOSTS + 1) until the block ends."""
    store = Store()
    handler = type("StoreHandler", (Handler,), {"store": store})
    servers = []
    for n in range(hosts):
        server = ThreadingHTTPServer((f"127.0.0.{n + 2}", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        store.bases.append(f"http://127.0.0.{n + 2}:{server.server_address[1]}")
    try:
        yield store
    finally:
        store.stop.set()
        for server in servers:
            server.shutdown()
            server.server_close()


class Receiver:
    """A local HTTP endpoint that keeps what each POST sent: (path, JSON body), as Apprise's json:// posts."""

    def __init__(self) -> None:
        received: list[tuple[str, dict]] = []

        class ReceiverHandler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), ReceiverHandler)
        self.port = self.server.server_address[1]
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def url(self, path: str = "/hook") -> str:
        """The Apprise URL that posts to PATH here."""
        return f"json://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
