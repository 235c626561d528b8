"""Amazon: every regional store, ASINs, the Associates `tag`, the add-to-cart form."""

from __future__ import annotations

import re

from ishop4u_cli.stores import networks, urls
from ishop4u_cli.stores.base import CartLine, CartLink, Store

DOMAINS = (
    "amazon.com",
    "amazon.co.uk",
    "amazon.de",
    "amazon.fr",
    "amazon.it",
    "amazon.es",
    "amazon.ca",
    "amazon.co.jp",
    "amazon.in",
    "amazon.com.au",
    "amazon.com.mx",
    "amazon.com.br",
    "amazon.nl",
    "amazon.se",
    "amazon.pl",
    "amazon.com.tr",
    "amazon.ae",
    "amazon.sa",
    "amazon.sg",
    "amazon.eg",
    "amazon.com.be",
    "amazon.ie",
    "amazon.co.za",
    "amazon.cn",
)
# Links that only redirect: Associates short links (which carry a tag) and share links.
SHORT_HOSTS = ("amzn.to", "amzn.eu", "amzn.asia", "a.co")

# /dp/ASIN, /dp/product/ASIN, /gp/product/ASIN, /gp/aw/d/ASIN, /slug/dp/ASIN, and older forms.
_ASIN_PATH = re.compile(
    r"/(?:dp/product|dp|gp/product|gp/aw/d|gp/offer-listing|exec/obidos/asin|o/asin)/([A-Z0-9]{10})(?=[/?;]|$)",
    re.IGNORECASE,
)
# A path segment like /ref=sr_1_1 says where the click came from.
_REF_SEGMENT = re.compile(r"/ref=[^/]*")
# What a non-product Amazon page (a search, a category) keeps of its query.
_PAGE_PARAMS = ("k", "i", "node", "rh")


def amazon_domain(url: str) -> str | None:
    """amazon.co.uk for https://smile.amazon.co.uk/..., None for other hosts."""
    return urls.match_domain(urls.host_of(url), DOMAINS)


class Amazon(Store):
    api_name = "amazon"
    display_name = "Amazon"

    def recognises(self, host: str) -> bool:
        return urls.match_domain(host, DOMAINS + SHORT_HOSTS) is not None

    def _product_id(self, url: str) -> str | None:
        if amazon_domain(url) is None:
            return None
        match = _ASIN_PATH.search(urls.path_of(url))
        return match.group(1).upper() if match else None

    def _normalize(self, url: str) -> str:
        domain = amazon_domain(url)
        if domain is None:  # a short link: only its path means anything
            return urls.page(urls.host_of(url), urls.path_of(url))
        asin = self._product_id(url)
        if asin:
            return urls.build(f"www.{domain}", f"/dp/{asin}")
        path = _REF_SEGMENT.sub("", urls.path_of(url)) or "/"
        return urls.page(f"www.{domain}", path, urls.keep_params(url, _PAGE_PARAMS))

    def has_affiliate_id(self, url: str) -> bool:
        return super().has_affiliate_id(url) or urls.query_value(url, "tag") is not None

    def _affiliate_link(self, url: str, tracking_id: str) -> str:
        if self._product_id(url) is None:  # a short link or a non-product page: nothing to tag safely
            return url
        from w3lib.url import add_or_replace_parameter

        return add_or_replace_parameter(url, "tag", tracking_id)

    def cart_links(self, lines: list[CartLine], *, tracking_id: str | None) -> list[CartLink]:
        """One add-to-cart form link per Amazon domain, for the lines that have an ASIN."""
        by_domain: dict[str, dict[str, int]] = {}
        held: dict[str, list[CartLine]] = {}
        for line in lines:
            domain = amazon_domain(networks.unwrap(line.url))
            asin = (line.product_id or self.product_id(line.url) or "").upper()
            if domain is None or not _ASIN_PATH.fullmatch(f"/dp/{asin}") or line.quantity < 1:
                continue
            quantities = by_domain.setdefault(domain, {})
            quantities[asin] = quantities.get(asin, 0) + line.quantity
            held.setdefault(domain, []).append(line)
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
