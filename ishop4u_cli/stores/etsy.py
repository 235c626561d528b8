"""Etsy: listing ids; affiliate links through Awin, by link template."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import Store

DOMAINS = ("etsy.com",)
SHORT_HOSTS = ("etsy.me",)  # share links

# /listing/<id>/<slug>, with an optional region prefix (/uk/, /de/, /ca-fr/).
_LISTING = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]{2})?/)?listing/(\d{4,15})(?:/|$)", re.IGNORECASE)


class Etsy(Store):
    api_name = "etsy"
    display_name = "Etsy"

    def recognises(self, host: str) -> bool:
        return urls.match_domain(host, DOMAINS + SHORT_HOSTS) is not None

    def _product_id(self, url: str) -> str | None:
        return urls.id_in_path(url, DOMAINS, _LISTING)

    def _normalize(self, url: str) -> str:
        listing = self._product_id(url)
        if listing is not None:
            return urls.build("www.etsy.com", f"/listing/{listing}")
        host = urls.host_of(url)
        if urls.match_domain(host, DOMAINS):
            host = "www.etsy.com"
        return urls.page(host, urls.path_of(url))

    # Etsy's affiliate program runs through Awin: the source's link template
    # (https://www.awin1.com/cread.php?awinmid=6220&awinaffid={tracking_id}&ued={url}) is filled by the base class.
