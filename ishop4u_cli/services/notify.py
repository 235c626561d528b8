"""Alert notifications through Apprise (the optional extra `ishop4u[notify]`).

Apprise covers e-mail, ntfy, Slack, Discord, Telegram, desktop notifications
and plain JSON webhooks, each named by a URL (`ntfys://ntfy.sh/TOPIC`,
`json://host:port/path`, ...). It loads a plugin per service when imported, so it
is imported here, inside the functions, never at start-up.

One notification per alert (a phone shows each product on its own), sent to
every URL. Notification URLs carry tokens and passwords: no message or
warning shows one whole, only `mask(url)`.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ishop4u_cli import money
from ishop4u_cli.errors import UsageError

if TYPE_CHECKING:
    from ishop4u_cli.services.watches import Alert

INSTALL_HINT = "install it with `pipx inject ishop4u apprise` (or `pip install 'ishop4u[notify]'`)"
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD = re.compile(r"[a-z]{2,24}")


def require_apprise() -> Any:
    """The apprise module; UsageError (exit 2) saying how to install it when it is missing."""
    try:
        import apprise
    except ImportError:
        raise UsageError(f"notifications need Apprise, which is not installed: {INSTALL_HINT}") from None
    # Apprise logs through `logging`; with no handler Python would print its warnings (which may
    # quote a whole URL) on stderr. What went wrong is reported here, masked.
    logger = logging.getLogger("apprise")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False
    return apprise


def mask(url: str) -> str:
    """URL without its secrets: `scheme://host/…`, the host only when it looks like a host name.

    Apprise puts tokens where a host would be (`tgram://BOT_TOKEN/CHAT`, `ntfy://TOPIC`), so a
    "host" is shown only when it is an IP address, localhost, or a dotted name ending in a
    letters-only top-level domain; user names, passwords, paths and queries never are.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,31}", scheme):
        return "…"
    scheme = scheme.lower()
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return f"{scheme}://…"
    if not host or not _is_host_name(host):
        return f"{scheme}://…"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    more = "/…" if rest.strip("/") != netloc.lower().strip("/") else ""
    return f"{scheme}://{netloc}{more}"


def _is_host_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_LABEL.fullmatch(label) for label in labels)
        and bool(_TLD.fullmatch(labels[-1]))
    )


def check_urls(urls: Sequence[str]) -> None:
    """Every URL one Apprise understands; UsageError (exit 2) naming the first that is not, masked.

    Also UsageError when Apprise is not installed (and there are URLs to check).
    """
    if not urls:
        return
    apprise = require_apprise()
    for number, url in enumerate(urls, start=1):
        if not apprise.Apprise().add(url.strip()):
            raise UsageError(
                f"notification URL {_which(number, urls)}{mask(url)} is not one Apprise understands "
                "(see Apprise's list of services: https://github.com/caronc/apprise/wiki)"
            )


def _which(number: int, urls: Sequence[str]) -> str:
    return f"{number} " if len(urls) > 1 else ""


def message(alert: Alert) -> tuple[str, str]:
    """The title and body of ALERT's notification: the product, its new price and the mark."""
    price = money.format_amount(alert.price, alert.currency)
    mark = money.format_amount(alert.mark, alert.currency)
    title = f"{'New low' if alert.new_low else 'Price alert'}: {alert.product_name}"
    if alert.kind == "drop" and alert.drop_percent is not None:
        rule = f"your mark {mark} (a {alert.drop_percent.normalize():f}% drop)"
    else:
        rule = f"your mark {mark}"
    if alert.new_low:
        body = f"{alert.product_name} (product {alert.product_id}) fell further, to {price}: below {rule}."
    else:
        body = f"{alert.product_name} (product {alert.product_id}) is now {price}: at or below {rule}."
    return title, body


def send(urls: Sequence[str], alerts: Sequence[Alert], *, failed: set[str] | None = None) -> list[str]:
    """Send one notification per alert to every URL; the warnings, one per URL that failed (masked).

    Never raises for a delivery failure: a URL that cannot be reached, or that Apprise
    does not understand, is a warning, and is not tried again for the rest of the alerts.
    Call `check_urls` before any work, so that a missing Apprise or a mistyped URL stops the
    command at once; here, a missing Apprise is one warning too. FAILED, kept by a caller
    that sends several times in one run, holds the URLs that failed: they are not tried again.
    """
    failed = set() if failed is None else failed
    if not urls or not alerts or all(url in failed for url in urls):
        return []
    try:
        apprise = require_apprise()
    except UsageError as exc:
        return [f"no notification was sent: {exc}"]
    warnings: list[str] = []
    for number, url in enumerate(urls, start=1):
        if url in failed:
            continue
        where = f"notification URL {_which(number, urls)}{mask(url)}"
        target = apprise.Apprise()
        if not target.add(url.strip()):
            failed.add(url)
            warnings.append(f"{where} is not one Apprise understands; nothing was sent to it")
            continue
        for sent, alert in enumerate(alerts):
            title, body = message(alert)
            try:
                delivered = bool(target.notify(body=body, title=title))
            except Exception as exc:  # a plugin's own failure must never lose the run's work
                delivered, reason = False, type(exc).__name__
            else:
                reason = "it could not be reached or refused the message"
            if not delivered:
                failed.add(url)
                lost = len(alerts) - sent
                warnings.append(f"{where}: {reason}; {lost} alert{'s' if lost != 1 else ''} not sent there")
                break
    return warnings
