"""AliExpress: item ids, regional hosts, portal (s.click) affiliate links."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import Store

# aliexpress.com's subdomains (www., m., de., fr., ...) only change the display language,
# so an item on any of them is the same page on www.aliexpress.com. aliexpress.us and
# aliexpress.ru are storefronts of their own (prices, shipping) and keep their host.
DOMAINS = ("aliexpress.com", "aliexpress.us", "aliexpress.ru")
_CANONICAL_HOST = {
    "aliexpress.com": "www.aliexpress.com",
    "aliexpress.us": "www.aliexpress.us",
    "aliexpress.ru": "aliexpress.ru",
}

# /item/<id>.html, /item/<slug>/<id>.html, the mobile /i/<id>.html, /store/product/<slug>/<store>_<id>.html
_ITEM_PATH = re.compile(
    r"^/(?:item/(?:[^/]+/)?|i/|store/product/[^/]+/\d+_)(\d{6,20})\.html?$", re.IGNORECASE
)

_LANDING_PARAMS = ("aff_fcid", "aff_fsk", "aff_trace_key")


class AliExpress(Store):
    api_name = "aliexpress"
    display_name = "AliExpress"

    def recognises(self, host: str) -> bool:
        return urls.match_domain(host, DOMAINS) is not None

    def _product_id(self, url: str) -> str | None:
        return urls.id_in_path(url, DOMAINS, _ITEM_PATH)

    def _normalize(self, url: str) -> str:
        host = urls.host_of(url)
        domain = urls.match_domain(host, DOMAINS)
        item = self._product_id(url)
        if domain is not None and item is not None:
            return urls.build(_CANONICAL_HOST[domain], f"/item/{item}.html")
        # s.click and a.aliexpress.com short links, store pages: the path is all that identifies them
        return urls.page(host, urls.path_of(url))

    def has_affiliate_id(self, url: str) -> bool:
        # An s.click link is a network redirect (networks.py); these parameters are what it
        # lands on: the portal's tracking of one affiliate's click.
        return super().has_affiliate_id(url) or urls.has_any_param(url, _LANDING_PARAMS)

    # Without a link template there is no affiliate link to build: the portals issue
    # s.click.aliexpress.com links through their own tools. The base class fills a template.
