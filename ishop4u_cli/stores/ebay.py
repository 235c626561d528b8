"""eBay: regional sites, item ids, eBay Partner Network links."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import PAGES, Host, Store
from ishop4u_cli.stores.networks import Network
from ishop4u_cli.stores.urls import Url

# EPN rotation ids (mkrid), one per eBay site, from EPN's link generator.
ROTATION_IDS = {
    "ebay.com": "711-53200-19255-0",
    "ebay.co.uk": "710-53481-19255-0",
    "ebay.de": "707-53477-19255-0",
    "ebay.fr": "709-53476-19255-0",
    "ebay.it": "724-53478-19255-0",
    "ebay.es": "1185-53479-19255-0",
    "ebay.ca": "706-53473-19255-0",
    "ebay.com.au": "705-53470-19255-0",
    "ebay.at": "5221-53469-19255-0",
    "ebay.ch": "5222-53480-19255-0",
    "ebay.ie": "5282-53468-19255-0",
    "ebay.nl": "1346-53482-19255-0",
    "ebay.be": "1553-53471-19255-0",
    "ebay.pl": "4908-226936-19255-0",
}
# Sites EPN does not serve: recognised, normalized, but no affiliate link is built.
OTHER_DOMAINS = ("ebay.com.hk", "ebay.com.sg", "ebay.com.my", "ebay.ph")
DOMAINS = tuple(ROTATION_IDS) + OTHER_DOMAINS
# The currency each site lists its prices in (when the page says none).
CURRENCIES = {
    "ebay.com": "USD",
    "ebay.co.uk": "GBP",
    "ebay.de": "EUR",
    "ebay.fr": "EUR",
    "ebay.it": "EUR",
    "ebay.es": "EUR",
    "ebay.ca": "CAD",
    "ebay.com.au": "AUD",
    "ebay.at": "EUR",
    "ebay.ch": "CHF",
    "ebay.ie": "EUR",
    "ebay.nl": "EUR",
    "ebay.be": "EUR",
    "ebay.pl": "PLN",
    "ebay.com.hk": "HKD",
    "ebay.com.sg": "SGD",
    "ebay.com.my": "MYR",
    "ebay.ph": "PHP",
}

# /itm/<id>, /itm/<slug>/<id>
_ITEM_PATH = re.compile(r"^/itm/(?:[^/]+/)?(\d{9,15})(?:/|$)")
# `var` picks one variation (size, colour) of a multi-variation listing: it identifies the product.
_ITEM_PARAMS = ("var",)
_PAGE_PARAMS = ("_nkw", "_sacat", "iid", "var")
# Belgium is two sites in two languages; elsewhere www. and m. are one site.
_KEPT_SUBDOMAINS = ("befr", "benl")


def _site_host(host: str, domain: str) -> str:
    sub = urls.subdomain(host, domain)
    return host if sub in _KEPT_SUBDOMAINS else f"www.{domain}"


HOSTS: dict[str, Host] = {
    **dict.fromkeys(DOMAINS, PAGES),
    "ebay.us": Network(),  # EPN's own short links
    "rover.ebay.com": Network("mpre"),  # EPN's older links
}


class Ebay(Store):
    api_name = "ebay"
    hosts = HOSTS
    affiliate_params = ("campid",)
    currencies = CURRENCIES

    def _product_id(self, url: Url) -> str | None:
        return self.id_in_path(url, _ITEM_PATH)

    def _normalize(self, url: Url) -> str:
        domain = self.domain(url)
        if domain is None:  # an ebay.us short link
            return urls.page(url.host, url.path)
        item = self._product_id(url)
        if item is not None:
            return urls.build(_site_host(url.host, domain), f"/itm/{item}", url.keep_params(_ITEM_PARAMS))
        return urls.page(_site_host(url.host, domain), url.path, url.keep_params(_PAGE_PARAMS))

    def _affiliate_link(self, url: Url, tracking_id: str) -> str:
        rotation = ROTATION_IDS.get(self.domain(url) or "")
        if rotation is None:
            return url.text
        from w3lib.url import add_or_replace_parameters

        return add_or_replace_parameters(
            url.text,
            {"mkcid": "1", "mkrid": rotation, "campid": tracking_id, "toolid": "10001", "mkevt": "1"},
        )
