"""AliExpress: item ids, regional hosts, portal (s.click) affiliate links."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import PAGES, Host, Store
from ishop4u_cli.stores.networks import Network
from ishop4u_cli.stores.urls import Url

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


HOSTS: dict[str, Host] = {
    **dict.fromkeys(DOMAINS, PAGES),
    # The portals' links (s.click short links name no page; deep links name it in dl_target_url).
    "s.click.aliexpress.com": Network("dl_target_url"),
    "click.aliexpress.com": Network("dl_target_url"),
}


class AliExpress(Store):
    api_name = "aliexpress"
    hosts = HOSTS
    # What an s.click link lands on: the portal's tracking of one affiliate's click.
    affiliate_params = ("aff_fcid", "aff_fsk", "aff_trace_key")

    def _product_id(self, url: Url) -> str | None:
        return self.id_in_path(url, _ITEM_PATH)

    def _normalize(self, url: Url) -> str:
        domain = self.domain(url)
        item = self._product_id(url)
        if domain is not None and item is not None:
            return urls.build(_CANONICAL_HOST[domain], f"/item/{item}.html")
        # s.click and a.aliexpress.com short links, store pages: the path is all that identifies them
        return urls.page(url.host, url.path)

    # Without a link template there is no affiliate link to build: the portals issue
    # s.click.aliexpress.com links through their own tools. The base class fills a template.
