"""Amazon: every regional store, ASINs, the Associates `tag`, the add-to-cart form."""

from __future__ import annotations

import re

from ishop4u_cli.stores import urls
from ishop4u_cli.stores.base import PAGES, SHORT_LINK, CartLink, CartLinkItem, Host, Store
from ishop4u_cli.stores.networks import Network
from ishop4u_cli.stores.urls import Url

# Each regional store and the currency it sells in (its prices, when the page says none).
CURRENCIES = {
    "amazon.com": "USD",
    "amazon.co.uk": "GBP",
    "amazon.de": "EUR",
    "amazon.fr": "EUR",
    "amazon.it": "EUR",
    "amazon.es": "EUR",
    "amazon.ca": "CAD",
    "amazon.co.jp": "JPY",
    "amazon.in": "INR",
    "amazon.com.au": "AUD",
    "amazon.com.mx": "MXN",
    "amazon.com.br": "BRL",
    "amazon.nl": "EUR",
    "amazon.se": "SEK",
    "amazon.pl": "PLN",
    "amazon.com.tr": "TRY",
    "amazon.ae": "AED",
    "amazon.sa": "SAR",
    "amazon.sg": "SGD",
    "amazon.eg": "EGP",
    "amazon.com.be": "EUR",
    "amazon.ie": "EUR",
    "amazon.co.za": "ZAR",
    "amazon.cn": "CNY",
}
DOMAINS = tuple(CURRENCIES)
# /dp/ASIN, /dp/product/ASIN, /gp/product/ASIN, /gp/aw/d/ASIN, /slug/dp/ASIN, and older forms.
_ASIN_PATH = re.compile(
    r"/(?:dp/product|dp|gp/product|gp/aw/d|gp/offer-listing|exec/obidos/asin|o/asin)/([A-Z0-9]{10})(?=[/?;]|$)",
    re.IGNORECASE,
)
# A path segment like /ref=sr_1_1 says where the click came from.
_REF_SEGMENT = re.compile(r"/ref=[^/]*")
# What a non-product Amazon page (a search, a category) keeps of its query.
_PAGE_PARAMS = ("k", "i", "node", "rh")


# Associates short links (SiteStripe): they carry a tag, but not the page they lead to.
_ASSOCIATES = Network()
HOSTS: dict[str, Host] = {
    **dict.fromkeys(DOMAINS, PAGES),
    "amzn.to": _ASSOCIATES,
    "amzn.eu": _ASSOCIATES,
    "amzn.asia": _ASSOCIATES,
    "a.co": SHORT_LINK,  # share links
}


class Amazon(Store):
    api_name = "amazon"
    hosts = HOSTS
    affiliate_params = ("tag",)
    currencies = CURRENCIES

    def current(self, url: str) -> str:
        """smile.amazon.* (AmazonSmile, closed in 2023) links on www.amazon.*: the rest kept as given."""
        page = urls.parse(url)
        domain = self.domain(page)
        if domain is None or urls.subdomain(page.host, domain) != "smile" or "://" not in url:
            return url
        start = url.index("://") + 3
        port = page.netloc.rpartition(":")[2] if page.netloc.count(":") == 1 else ""
        return url[:start] + f"www.{domain}" + (f":{port}" if port else "") + url[start + len(page.netloc) :]

    def _product_id(self, url: Url) -> str | None:
        if self.domain(url) is None:
            return None
        match = _ASIN_PATH.search(url.path)
        return match.group(1).upper() if match else None

    def _normalize(self, url: Url) -> str:
        domain = self.domain(url)
        if domain is None:  # a short link: only its path means anything
            return urls.page(url.host, url.path)
        asin = self._product_id(url)
        if asin:
            return urls.build(f"www.{domain}", f"/dp/{asin}")
        path = _REF_SEGMENT.sub("", url.path) or "/"
        return urls.page(f"www.{domain}", path, url.keep_params(_PAGE_PARAMS))

    def _affiliate_link(self, url: Url, tracking_id: str) -> str:
        if self._product_id(url) is None:  # a short link or a non-product page: nothing to tag safely
            return url.text
        from w3lib.url import add_or_replace_parameter

        return add_or_replace_parameter(url.text, "tag", tracking_id)

    def cart_links(self, items: list[CartLinkItem], *, tracking_id: str | None) -> list[CartLink]:
        """One add-to-cart form link per Amazon domain, for the items that have an ASIN."""
        by_domain: dict[str, dict[str, int]] = {}
        held: dict[str, list[CartLinkItem]] = {}
        for item in items:
            page = self._read(item.url)
            domain = self.domain(page)
            asin = (item.product_id or self._product_id(page) or "").upper()
            if domain is None or not _ASIN_PATH.fullmatch(f"/dp/{asin}") or item.quantity < 1:
                continue
            quantities = by_domain.setdefault(domain, {})
            quantities[asin] = quantities.get(asin, 0) + item.quantity
            held.setdefault(domain, []).append(item)
        links = []
        tracking_id = (tracking_id or "").strip()
        for domain, quantities in by_domain.items():
            query: list[tuple[str, str]] = []
            for n, (asin, quantity) in enumerate(quantities.items(), start=1):
                query += [(f"ASIN.{n}", asin), (f"Quantity.{n}", str(quantity))]
            if tracking_id:
                query.append(("AssociateTag", tracking_id))
            links.append(CartLink(urls.build(f"www.{domain}", "/gp/aws/cart/add.html", query), held[domain]))
        return links
