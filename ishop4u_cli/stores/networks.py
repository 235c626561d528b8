"""Affiliate networks' redirect links, which already carry someone's affiliate id.

A user who pastes one of these keeps it exactly as given. Where the link names
its destination in a parameter, `unwrap` finds the product page behind it, so
the product is recognised and stored once.
"""

from __future__ import annotations

import functools

from ishop4u_cli.stores import urls

# Redirect hosts (and the domains under which they live) -> the parameter naming the destination.
# None: the destination is opaque (a short link); the link is still an affiliate link.
REDIRECTS: dict[str, str | None] = {
    "goto.walmart.com": "u",  # Walmart's Impact vanity domain
    "sjv.io": "u",  # Impact
    "pxf.io": "u",
    "7eer.net": "u",
    "evyy.net": "u",
    "ojrq.net": "u",
    "awin1.com": "ued",  # Awin (Etsy)
    "click.linksynergy.com": "murl",  # Rakuten Advertising
    "anrdoezrs.net": "url",  # CJ
    "dpbolvw.net": "url",
    "jdoqocy.com": "url",
    "kqzyfj.com": "url",
    "tkqlhce.com": "url",
    "shareasale.com": "urllink",
    "go.skimresources.com": "url",
    "redirect.viglink.com": "u",
    "clk.tradedoubler.com": "url",
    "rover.ebay.com": "mpre",  # eBay Partner Network's older links
    "s.click.aliexpress.com": "dl_target_url",  # AliExpress portals
    "click.aliexpress.com": "dl_target_url",
    "prf.hn": None,  # Partnerize
    "amzn.to": None,  # Amazon Associates short links (SiteStripe)
    "amzn.eu": None,
    "amzn.asia": None,
    "ebay.us": None,  # eBay Partner Network short links
}

# Parameters a network adds to the page it lands on: the click is already attributed.
LANDING_PARAMS = ("irclickid", "irgwc", "cjevent", "awc", "sscid", "ranmid", "ransiteid", "wmlspartner")


@functools.lru_cache(maxsize=1024)
def redirect_domain(host: str) -> str | None:
    return urls.match_domain(host, REDIRECTS)


def is_affiliate_link(url: str) -> bool:
    """A network redirect, or a page a network click landed on."""
    return redirect_domain(urls.host_of(url)) is not None or urls.has_any_param(url, LANDING_PARAMS)


def target_of(url: str) -> str | None:
    """The destination a network redirect names, when it is an http(s) URL."""
    domain = redirect_domain(urls.host_of(url))
    param = REDIRECTS.get(domain) if domain else None
    if not param:
        return None
    target = (urls.query_value(url, param) or "").strip()
    if target.startswith("www."):  # ShareASale writes destinations without a scheme
        target = "https://" + target
    if urls.host_of(target) and target.lower().startswith(("http://", "https://")):
        return target
    return None


@functools.lru_cache(maxsize=256)
def unwrap(url: str) -> str:
    """The product page behind network redirects (a few levels deep), else URL itself."""
    for _ in range(3):
        target = target_of(url)
        if target is None:
            break
        url = target
    return url
