"""Etsy: listing ids; affiliate links through Awin, by link template."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import PAGES, SHORT_LINK, Host, Store
from ishop4u_cli.stores.urls import Url

DOMAINS = ("etsy.com",)

# /listing/<id>/<slug>, with an optional region prefix (/uk/, /de/, /ca-fr/).
_LISTING = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?listing/(\d{4,15})(?:/|$)", re.IGNORECASE)


HOSTS: dict[str, Host] = {**dict.fromkeys(DOMAINS, PAGES), "etsy.me": SHORT_LINK}  # share links


class Etsy(Store):
    api_name = "etsy"
    hosts = HOSTS

    def _product_id(self, url: Url) -> str | None:
        return self.id_in_path(url, _LISTING)

    def _normalize(self, url: Url) -> str:
        listing = self._product_id(url)
        if listing is not None:
            return urls.build("www.etsy.com", f"/listing/{listing}")
        host = "www.etsy.com" if self.domain(url) else url.host
        return urls.page(host, url.path)

    # Etsy's affiliate program runs through Awin: the source's link template
    # (https://www.awin1.com/cread.php?awinmid=6220&awinaffid={tracking_id}&ued={url}) is filled by the base class.
