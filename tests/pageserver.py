"""A local HTTP server for page-reading tests: store-like fixtures from tests/pages/ and
misbehaving routes (errors, captcha, slow, oversize, redirects). Nothing reaches the internet.

The `page_server` fixture in conftest.py starts one for the whole test session
(tests/ is on sys.path, as for migration_helpers).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGES = Path(__file__).parent / "pages"
BIG_BODY_BYTES = 6 * 1024 * 1024
SLOW_SECONDS = 3.0


def _png(width: int, height: int) -> bytes:
    """A valid RGB PNG: a mug-coloured square with a lighter band, made here so no binary file is stored."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\0" + (b"\x2a\x6f\xb8" if height // 3 <= y < 2 * height // 3 else b"\x1d\x4e\x89") * width
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PICTURE_PNG = _png(96, 96)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    stop: threading.Event  # set by the server when the tests end

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        # the client may stop reading (oversize, timeout): expected
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.route(path, query)

    def route(self, path: str, query: dict[str, list[str]]) -> None:
        if path.startswith("/pages/"):
            file = PAGES / path.removeprefix("/pages/")
            if not file.is_file():
                return self.send(404, b"<html><title>Not found</title><body>Not found</body></html>")
            charset = "" if file.name == "latin1.html" else "; charset=utf-8"
            return self.send(200, file.read_bytes(), content_type=f"text/html{charset}")
        if path == "/status/404":
            return self.send(404, b"<html><head><title>Page Not Found</title></head><body>Gone</body></html>")
        if path == "/status/500":
            return self.send(500, b"<html><body>Internal error</body></html>")
        if path == "/captcha-503":
            return self.send(503, (PAGES / "captcha_amazon.html").read_bytes())
        if path == "/slow":
            self.stop.wait(SLOW_SECONDS)
            return self.send(200, (PAGES / "jsonld_product.html").read_bytes())
        if path == "/big":
            return self.send_big()
        if path == "/image.png":
            return self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
        if path == "/picture.png":  # a real picture a browser can draw (the checkout page's tests)
            return self.send(200, PICTURE_PNG, content_type="image/png")
        if path.startswith("/redirect/"):
            # /redirect/<n>/<rest>: n more hops, then /<rest>
            _, _, hops, rest = path.split("/", 3)
            n = int(hops)
            target = f"/redirect/{n - 1}/{rest}" if n > 1 else f"/{rest}"
            return self.send(302, b"", location=target)
        if path == "/redirect-to":
            return self.send(302, b"", location=query["to"][0])
        return self.hostile(path, query)

    def hostile(self, path: str, query: dict[str, list[str]]) -> None:
        """Routes that cost a reader time: dribbled headers, slow redirects, pages built to blow up."""
        if path == "/trickle-headers":  # one header byte every 0.1 s, for as long as anyone listens
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            while not self.stop.wait(0.1):
                self.wfile.write(b"X")
                self.wfile.flush()
            return None
        if path.startswith("/slow-redirect/"):  # /slow-redirect/<n>/<rest>: each hop waits 0.4 s
            _, _, hops, rest = path.split("/", 3)
            self.stop.wait(0.4)
            n = int(hops)
            return self.send(302, b"", location=f"/slow-redirect/{n - 1}/{rest}" if n > 1 else f"/{rest}")
        if path == "/generated/jsonld-id-lattice":
            return self.send(200, jsonld_id_lattice(int(query.get("levels", ["30"])[0])).encode())
        if path == "/generated/microdata-nested-offers":
            return self.send(200, microdata_nested_offers(int(query.get("n", ["10000"])[0])).encode())
        return self.send(404, b"no such route")

    def send(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        location: str | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        self.wfile.write(body)

    def send_big(self) -> None:
        head = (PAGES / "jsonld_product.html").read_bytes().split(b"<body>")[0] + b"<body>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(BIG_BODY_BYTES))
        self.end_headers()
        self.wfile.write(head)
        chunk = b"<p>" + b"x" * 65_529 + b"</p>\n"
        sent = len(head)
        while sent < BIG_BODY_BYTES and not self.stop.is_set():
            piece = chunk[: BIG_BODY_BYTES - sent]
            self.wfile.write(piece)
            sent += len(piece)


def jsonld_id_lattice(levels: int, width: int = 4) -> str:
    """A small JSON-LD page whose offers point at each other by @id: WIDTH references a level,
    LEVELS levels, so following every reference visits WIDTH**LEVELS offers. None has a price: a
    reader that follows every path never stops."""
    offers = [
        {"@id": f"#o{level}", "@type": "AggregateOffer", "offers": [{"@id": f"#o{level + 1}"}] * width}
        for level in range(levels)
    ]
    offers.append({"@id": f"#o{levels}", "@type": "Offer", "priceCurrency": "EUR"})
    product = {"@type": "Product", "name": "Lattice Lamp", "offers": {"@id": "#o0"}}
    block = json.dumps({"@context": "https://schema.org", "@graph": [product, *offers]})
    return f'<html><head><script type="application/ld+json">{block}</script></head><body></body></html>'


def microdata_nested_offers(n: int) -> str:
    """A Product whose offers nest N deep (each offer inside the last), priced after them."""
    opening = '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">' * n
    return (
        '<html><body><div itemscope itemtype="https://schema.org/Product">'
        '<span itemprop="name">Nesting Dolls</span>'
        f'{opening}{"</div>" * n}<span itemprop="price" content="9.00"></span>'
        '<meta itemprop="priceCurrency" content="EUR"></div></body></html>'
    )


@dataclass
class PageServer:
    base: str

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve_pages(host: str = "127.0.0.1") -> Iterator[PageServer]:
    """Run the local page server on HOST (127.0.0.2, ... are further loopback hosts) until the block ends."""
    stop = threading.Event()
    handler = type("BoundHandler", (Handler,), {"stop": stop})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="page-server", daemon=True)
    thread.start()
    try:
        yield PageServer(f"http://{host}:{server.server_address[1]}")
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
