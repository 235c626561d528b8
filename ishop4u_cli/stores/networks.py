"""Affiliate networks' links, which already carry someone's affiliate id.

A user who pastes one of these keeps it exactly as given. Where the link names
its destination (in a query parameter, or at the end of its path), `Links.unwrap`
finds the product page behind it, so the product is recognised, stored once,
named and read from that page: never by following the user's own link, which
the network would count as a click.

This module lists the networks only; a store's own affiliate links (amzn.to,
rover.ebay.com, goto.walmart.com) are in its host table, in the same form, and
the registry joins both into the one table every store reads (`Links`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from ishop4u_cli.stores import urls


@dataclass(frozen=True)
class Network:
    """How the links of one affiliate network (or of a store's own program) look."""

    # The query parameter naming the destination page; None: the link does not say (a short link).
    target: str | None = None
    # Parameters a click leaves on the page it lands on: that page is already attributed.
    landing: tuple[str, ...] = ()
    # The path segment after which the destination follows, to the end of the link (its query
    # included), plain or percent-encoded: CJ's `/type/dlg/`, Partnerize's `/destination:`.
    path_target: str | None = None


IMPACT = Network("u", ("irclickid", "irgwc"))
AWIN = Network("ued", ("awc",))
RAKUTEN = Network("murl", ("ranmid", "ransiteid"))
# CJ: a query form (?url=) and a path form (/links/<pid>/type/dlg/[sid/<sid>/]<URL>).
CJ = Network("url", ("cjevent",), "/type/dlg/")
SHAREASALE = Network("urllink", ("sscid",))

# Redirect hosts (and the domains under which they live) -> the network whose links they serve.
NETWORKS: dict[str, Network] = {
    "sjv.io": IMPACT,
    "pxf.io": IMPACT,
    "7eer.net": IMPACT,
    "evyy.net": IMPACT,
    "ojrq.net": IMPACT,
    "awin1.com": AWIN,
    "click.linksynergy.com": RAKUTEN,
    "anrdoezrs.net": CJ,
    "dpbolvw.net": CJ,
    "jdoqocy.com": CJ,
    "kqzyfj.com": CJ,
    "tkqlhce.com": CJ,
    "shareasale.com": SHAREASALE,
    "go.skimresources.com": Network("url"),  # Skimlinks
    "redirect.viglink.com": Network("u"),  # VigLink (Sovrn)
    "clk.tradedoubler.com": Network("url"),
    "prf.hn": Network(path_target="/destination:"),  # Partnerize: /click/camref:<id>/destination:<URL>
}
# What the networks' clicks leave on a page (generic.py drops them from a shop's URL).
LANDING_PARAMS: tuple[str, ...] = tuple(dict.fromkeys(p for n in NETWORKS.values() for p in n.landing))


class Links:
    """The one table of affiliate-link forms: redirect hosts -> Network, from networks and stores.

    A store reads every store's forms, not only its own: goto.walmart.com may lead
    to any page, and an Amazon page reached through it is still an affiliate link.
    """

    def __init__(self, forms: Mapping[str, Network]) -> None:
        self.forms = dict(forms)
        self.landing_params = frozenset(p for form in self.forms.values() for p in form.landing)
        # Per instance, so that a store made alone (tests) and the registry's stores never share answers.
        self.redirect_domain = functools.lru_cache(maxsize=1024)(self._redirect_domain)
        self.unwrap = functools.lru_cache(maxsize=1024)(self._unwrap)

    def _redirect_domain(self, host: str) -> str | None:
        return urls.match_domain(host, self.forms)

    def is_affiliate_link(self, url: urls.Url) -> bool:
        """A redirect of a network or store, or a page a network click landed on."""
        return self.redirect_domain(url.host) is not None or url.has_any_param(self.landing_params)

    def is_redirect(self, url: urls.Url) -> bool:
        """True when URL is on a network's (or store's) redirect host: following it is a click."""
        return self.redirect_domain(url.host) is not None

    def target_of(self, url: str) -> str | None:
        """The destination a redirect names, when it is an http(s) URL."""
        try:
            parsed = urls.parse(url)
        except ValueError:
            return None
        domain = self.redirect_domain(parsed.host)
        if domain is None:
            return None
        form = self.forms[domain]
        target = (parsed.param(form.target) or "").strip() if form.target else ""
        if not target and form.path_target:
            target = _path_target(parsed, form.path_target)
        if target.startswith("www."):  # ShareASale writes destinations without a scheme
            target = "https://" + target
        if urls.host_of(target) and target.lower().startswith(("http://", "https://")):
            return target
        return None

    def _unwrap(self, url: str) -> str:
        """The product page behind redirects (a few levels deep), else URL itself."""
        for _ in range(3):
            target = self.target_of(url)
            if target is None:
                break
            url = target
        return url


def _path_target(url: urls.Url, marker: str) -> str:
    """The destination written at the end of URL's path after MARKER ('' when there is none).

    It runs to the end of the link, so a plain destination's own query (which
    urllib reads as the link's) is kept; an encoded one (https%3A%2F%2F...) is decoded.
    """
    text = url.text.strip()
    start = text.find(marker, len(url.scheme) + 3 + len(url.netloc))
    if start < 0:
        return ""
    rest = text[start + len(marker) :]
    lowered = rest.lower()
    # CJ may put `sid/<sid>/` (or other key/value segments) before the destination.
    at = min(
        (i for i in (lowered.find(p) for p in ("http://", "https://", "http%3a", "https%3a")) if i >= 0),
        default=-1,
    )
    if at < 0:
        return ""
    rest = rest[at:]
    return unquote(rest) if rest.lower().startswith(("http%3a", "https%3a")) else rest
