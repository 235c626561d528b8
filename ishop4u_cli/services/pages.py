"""Reading product pages: name, price, currency and image from a page's structured data.

`fetch_page_info` fetches (this module) and reads the markup (page_data.py).
It never raises for a bad page or a network error: what went wrong is listed in
`problems`, so that adding a product always succeeds with what is known.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ishop4u_cli.services import page_data, page_network

# PageInfo lives in page_data.py, which reads pages and never imports this module.
from ishop4u_cli.services.page_data import PageInfo

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
# One deadline for the whole read: connect, headers, every redirect, the body and the parsing.
DEFAULT_TIMEOUT = 15.0
PAGE_TIMEOUT_VARIABLE = "ISHOP4U_PAGE_TIMEOUT"
# Stores serve bot walls to clients that do not look like a browser.
HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-US,en;q=0.8",
}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class PageFailed(Exception):
    """The page could not be read; the message says why, for a warning."""


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    reason: str
    content_type: str
    text: str
    truncated: bool


def fetch_page_info(url: str, *, timeout: float | None = None) -> PageInfo:
    """Fetch URL and read what it says about the product, all within TIMEOUT seconds
    (default: `ISHOP4U_PAGE_TIMEOUT`, else 15). Never raises for a bad page."""
    seconds = read_timeout() if timeout is None else timeout
    deadline = time.monotonic() + seconds
    try:
        page = fetch(url, timeout=seconds, deadline=deadline)
        if page.status >= 400:
            robot = page_data.robot_check(None, page.text, page.url)
            problem = page_data.CAPTCHA_PROBLEM if robot else f"HTTP {page.status} {page.reason}".strip()
            return PageInfo(problems=[problem])
        if page.content_type and not page.content_type.startswith(_HTML_TYPES):
            return PageInfo(problems=[f"not a web page ({page.content_type})"])
        info = page_data.read_page(page.text, page.url, deadline=deadline)
    except PageFailed as exc:
        return PageInfo(problems=[str(exc)])
    except Exception as exc:
        return PageInfo(problems=[f"could not read the page ({type(exc).__name__}: {exc})"])
    if page.truncated:
        info.problems.insert(
            0, f"the page is larger than {MAX_BYTES // (1024 * 1024)} MB: only its start was read"
        )
    return info


def read_timeout() -> float:
    """Seconds for a whole page read: `ISHOP4U_PAGE_TIMEOUT` when it is a positive number, else 15."""
    try:
        seconds = float(os.environ.get(PAGE_TIMEOUT_VARIABLE, ""))
    except ValueError:
        return DEFAULT_TIMEOUT
    return seconds if 0 < seconds <= 3600 else DEFAULT_TIMEOUT


def fetch(url: str, *, timeout: float | None = None, deadline: float | None = None) -> Fetched:
    """GET URL as a browser would, following at most MAX_REDIRECTS http(s) redirects and
    reading at most MAX_BYTES, everything (connect, headers, redirects, body) done by
    DEADLINE (a monotonic time; default TIMEOUT seconds from now). A redirect may not lead
    into the local network unless URL itself is there. PageFailed says what went wrong."""
    import httpx

    seconds = read_timeout() if timeout is None else timeout
    guard = page_network.Guard(time.monotonic() + seconds if deadline is None else deadline, seconds)
    try:
        with httpx.Client(
            headers=HEADERS,
            timeout=httpx.Timeout(seconds),
            follow_redirects=False,
            event_hooks={"response": [_refuse_bad_redirect]},
        ) as client:
            page_network.install(client, guard)
            start = urlsplit(url)
            for hop in range(MAX_REDIRECTS + 1):
                _check_scheme(url, redirected=hop > 0)
                parts = urlsplit(url)
                if hop > 0:
                    if guard.origin_local is None:  # read through a proxy: look the user's host up now
                        guard.origin_local = page_network.host_is_local(start.hostname or "", _port(start))
                    # The user's own URL may be local; then so may its redirects. Otherwise not.
                    guard.allow_local = guard.origin_local
                    if not guard.allow_local and page_network.host_is_local(
                        parts.hostname or "", _port(parts)
                    ):
                        raise PageFailed(f"redirected to {url!r}: a local network address, not a public page")
                guard.target_host = parts.hostname or ""
                with client.stream("GET", url) as response:
                    location = response.headers.get("location")
                    if response.is_redirect and location:
                        url = urljoin(str(response.url), location.strip())
                        continue
                    body, truncated = _read_limited(response, guard)
                    return Fetched(
                        url=str(response.url),
                        status=response.status_code,
                        reason=response.reason_phrase,
                        content_type=(response.headers.get("content-type") or "")
                        .split(";")[0]
                        .strip()
                        .lower(),
                        text=_decode(body, response.charset_encoding),
                        truncated=truncated,
                    )
    except page_network.ReadRefused as exc:
        raise PageFailed(str(exc)) from None
    except httpx.TimeoutException:
        raise PageFailed(f"the page did not answer within {seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise PageFailed(f"could not fetch the page ({_describe(exc)})") from None
    raise PageFailed(f"more than {MAX_REDIRECTS} redirects")


def _port(parts) -> int:
    try:
        return parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return 80


def _refuse_bad_redirect(response) -> None:
    """Check a Location before httpx parses it (it raises on some, such as javascript:)."""
    location = response.headers.get("location")
    if response.is_redirect and location:
        _check_scheme(urljoin(str(response.url), location.strip()), redirected=True)


def _check_scheme(url: str, *, redirected: bool) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        where = "redirected to" if redirected else "cannot fetch"
        raise PageFailed(f"{where} {url!r}: not an http or https address")


def _read_limited(response, guard: page_network.Guard) -> tuple[bytes, bool]:
    """At most MAX_BYTES of the body, within the overall deadline (a slow trickle counts)."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BYTES:
            return b"".join(chunks)[:MAX_BYTES], True
        guard.time_left(None)
    return b"".join(chunks), False


def _decode(body: bytes, charset: str | None) -> str:
    for encoding in (charset, _meta_charset(body), "utf-8"):
        if not encoding:
            continue
        try:
            return body.decode(encoding, errors="replace")
        except LookupError:  # an unknown charset name
            continue
    return body.decode("utf-8", errors="replace")


def _meta_charset(body: bytes) -> str | None:
    import re

    match = re.search(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]+)""", body[:4096], re.IGNORECASE)
    return match.group(1).decode("ascii") if match else None


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
