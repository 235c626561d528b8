"""Reading product pages: name, price, currency and image from a page's structured data.

`fetch_page_info` fetches (this module) and reads the markup (page_data.py).
It never raises for a bad page or a network error: what went wrong is listed in
`problems`, so that adding a product always succeeds with what is known.
`check_page` is the refresh's read: conditional (ETag, Last-Modified), and
strict (a page without a usable price is a failure, not a price).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from ishop4u_cli import settings
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


class PageTimedOut(PageFailed):
    """The page did not answer within the read's time."""


@dataclass
class Fetched:
    url: str  # after redirects
    status: int
    reason: str
    content_type: str
    text: str
    truncated: bool
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds, from a Retry-After header


@dataclass(frozen=True)
class Checked:
    """One conditional read of a page (check_page)."""

    status: str  # "read" (INFO has a price), "unchanged" (304), "retry" (429/503 with Retry-After), "failed"
    info: PageInfo | None = None
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None  # seconds to wait, with "retry"
    failure: str | None = None  # why, with "failed" and "retry"


def check_page(
    url: str, *, etag: str | None = None, last_modified: str | None = None, deadline: float | None = None
) -> Checked:
    """Read URL again for a refresh, sending back its validators; never raises for a bad page.

    A 304 is "unchanged". A 429 or 503 that says when to come back is "retry". A page
    without a usable price (a captcha, a price of 0, an error page) is "failed".
    The read ends by DEADLINE (a monotonic time) if that comes before the page timeout.
    """
    seconds = read_timeout()
    left = seconds if deadline is None else deadline - time.monotonic()
    clipped = left < seconds  # the run's deadline comes first: a timeout is the run's, not the page's
    seconds = min(seconds, left)
    if seconds <= 0:
        return Checked("failed", failure="not read: the refresh ran out of time")
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        page = fetch(url, timeout=seconds, headers=headers)
        if page.status == 304:
            return Checked(
                "unchanged", etag=page.etag or etag, last_modified=page.last_modified or last_modified
            )
        if page.status in (429, 503) and page.retry_after is not None:
            return Checked("retry", retry_after=page.retry_after, failure=_status(page))
        if (unreadable := _unreadable(page)) is not None:
            return Checked("failed", failure=unreadable)
        info = page_data.read_page(page.text, page.url, deadline=time.monotonic() + seconds)
    except PageTimedOut as exc:
        late = "the page did not answer before the refresh ran out of time"
        return Checked("failed", failure=late if clipped else str(exc))
    except PageFailed as exc:
        return Checked("failed", failure=str(exc))
    except Exception as exc:
        return Checked("failed", failure=f"could not read the page ({type(exc).__name__}: {exc})")
    if info.price is None:
        wrong = [p for p in info.problems if p == page_data.CAPTCHA_PROBLEM or "price" in p]
        return Checked("failed", info=info, failure=(wrong or ["no price found on the page"])[0])
    return Checked("read", info=info, etag=page.etag, last_modified=page.last_modified)


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds a Retry-After header asks to wait ("120" or an HTTP date); None when unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def fetch_page_info(url: str, *, timeout: float | None = None) -> PageInfo:
    """Fetch URL and read what it says about the product, all within TIMEOUT seconds
    (default: `ISHOP4U_PAGE_TIMEOUT`, else 15). Never raises for a bad page."""
    seconds = read_timeout() if timeout is None else timeout
    deadline = time.monotonic() + seconds
    try:
        page = fetch(url, timeout=seconds, deadline=deadline)
        if (unreadable := _unreadable(page)) is not None:
            return PageInfo(problems=[unreadable])
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


def _status(page: Fetched) -> str:
    return f"HTTP {page.status} {page.reason}".strip()


def _unreadable(page: Fetched) -> str | None:
    """Why PAGE has no product to read (an error status, a robot check, not HTML); None when it may."""
    if page.status >= 400:
        robot = page_data.robot_check(None, page.text, page.url)
        return page_data.CAPTCHA_PROBLEM if robot else _status(page)
    if page.content_type and not page.content_type.startswith(_HTML_TYPES):
        return f"not a web page ({page.content_type})"
    return None


def read_timeout() -> float:
    """Seconds for a whole page read: `ISHOP4U_PAGE_TIMEOUT` when it is a positive number, else 15."""
    return settings.seconds_from_env(PAGE_TIMEOUT_VARIABLE, DEFAULT_TIMEOUT, most=3600)


def fetch(
    url: str,
    *,
    timeout: float | None = None,
    deadline: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """GET URL as a browser would, following at most MAX_REDIRECTS http(s) redirects and
    reading at most MAX_BYTES, everything (connect, headers, redirects, body) done by
    DEADLINE (a monotonic time; default TIMEOUT seconds from now). A redirect may not lead
    into the local network unless URL itself is there. HEADERS are sent besides the
    browser's (conditional requests). PageFailed says what went wrong."""
    import httpx

    seconds = read_timeout() if timeout is None else timeout
    guard = page_network.Guard(time.monotonic() + seconds if deadline is None else deadline, seconds)
    try:
        with httpx.Client(
            headers={**HEADERS, **(headers or {})},
            verify=_ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")),
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
                        etag=response.headers.get("etag"),
                        last_modified=response.headers.get("last-modified"),
                        retry_after=retry_after(response.headers.get("retry-after")),
                    )
    except page_network.OutOfTime as exc:
        raise PageTimedOut(str(exc)) from None
    except page_network.ReadRefused as exc:
        raise PageFailed(str(exc)) from None
    except httpx.TimeoutException:
        raise PageTimedOut(f"the page did not answer within {seconds:g} s") from None
    except httpx.HTTPError as exc:
        raise PageFailed(f"could not fetch the page ({_describe(exc)})") from None
    raise PageFailed(f"more than {MAX_REDIRECTS} redirects")


def _ssl_context(cert_file: str | None, cert_dir: str | None):
    """httpx's default context, made once per run (about 20 ms each: a refresh reads hundreds of pages).

    Keyed by the variables httpx reads for it, so a change of SSL_CERT_FILE is still honoured.
    Made under a lock: readers starting together would otherwise each build one (lru_cache
    does not make the others wait).
    """
    with _SSL_LOCK:
        return _new_ssl_context(cert_file, cert_dir)


_SSL_LOCK = threading.Lock()


@functools.lru_cache(maxsize=4)
def _new_ssl_context(cert_file: str | None, cert_dir: str | None):
    import httpx

    return httpx.create_ssl_context(trust_env=True)


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
