"""Walmart (US and Canada): item ids; affiliate links through Impact, by link template."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import PAGES, Host, Store
from ishop4u_cli.stores.networks import Network
from ishop4u_cli.stores.urls import Url

DOMAINS = ("walmart.com", "walmart.ca")
CURRENCIES = {"walmart.com": "USD", "walmart.ca": "CAD"}

# walmart.com: /ip/<slug>/<digits> or /ip/<digits>.
_US_ITEM = re.compile(r"^/ip/(?:[^/]+/)?(\d{4,15})(?:/|$)")
# walmart.ca: /en/ip/<slug>/<id> (ids like 6000201234567 or PRD5QNF0AXQ4X2V).
_CA_ITEM = re.compile(r"^(/(?:en/|fr/)?ip/(?:[^/]+/)?)([0-9A-Z]{6,20})(?:/|$)")


HOSTS: dict[str, Host] = {
    **dict.fromkeys(DOMAINS, PAGES),
    # Walmart's affiliate program runs through Impact, on this vanity domain; its clicks
    # land with `wmlspartner` (and Impact's own parameters).
    "goto.walmart.com": Network("u", ("wmlspartner",)),
}


class Walmart(Store):
    api_name = "walmart"
    hosts = HOSTS
    currencies = CURRENCIES

    def _product_id(self, url: Url) -> str | None:
        domain = self.domain(url)
        if domain == "walmart.com":
            match = _US_ITEM.match(url.path)
            return match.group(1) if match else None
        if domain == "walmart.ca":
            match = _CA_ITEM.match(url.path)
            return match.group(2) if match else None
        return None

    def _normalize(self, url: Url) -> str:
        domain = self.domain(url)
        if domain == "walmart.com" and (match := _US_ITEM.match(url.path)):
            return urls.build("www.walmart.com", f"/ip/{match.group(1)}")  # walmart.com serves /ip/<id>
        if domain == "walmart.ca" and (match := _CA_ITEM.match(url.path)):
            # walmart.ca's pages keep their language and slug: only what follows the id goes
            return urls.page("www.walmart.ca", match.group(1) + match.group(2))
        return urls.page(url.host, url.path)

    # The source's link template for Impact (https://goto.walmart.com/c/<ids>?u={url}) is
    # filled by the base class.
