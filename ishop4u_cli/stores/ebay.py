"""eBay: regional sites, item ids, eBay Partner Network links."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import Store

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
SHORT_HOSTS = ("ebay.us",)  # EPN's own short links

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


class Ebay(Store):
    api_name = "ebay"
    display_name = "eBay"

    def recognises(self, host: str) -> bool:
        return urls.match_domain(host, DOMAINS + SHORT_HOSTS) is not None

    def _product_id(self, url: str) -> str | None:
        return urls.id_in_path(url, DOMAINS, _ITEM_PATH)

    def _normalize(self, url: str) -> str:
        host = urls.host_of(url)
        domain = urls.match_domain(host, DOMAINS)
        if domain is None:  # an ebay.us short link
            return urls.page(host, urls.path_of(url))
        item = self._product_id(url)
        if item is not None:
            return urls.build(_site_host(host, domain), f"/itm/{item}", urls.keep_params(url, _ITEM_PARAMS))
        return urls.page(_site_host(host, domain), urls.path_of(url), urls.keep_params(url, _PAGE_PARAMS))

    def has_affiliate_id(self, url: str) -> bool:
        return super().has_affiliate_id(url) or urls.query_value(url, "campid") is not None

    def _affiliate_link(self, url: str, tracking_id: str) -> str:
        rotation = ROTATION_IDS.get(urls.match_domain(urls.host_of(url), DOMAINS) or "")
        if rotation is None:
            return url
        from w3lib.url import add_or_replace_parameters

        return add_or_replace_parameters(
            url,
            {"mkcid": "1", "mkrid": rotation, "campid": tracking_id, "toolid": "10001", "mkevt": "1"},
        )
