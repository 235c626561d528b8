"""Any other shop: tracking parameters dropped, everything else kept; link templates."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from ishop4u_cli.stores import canonical, networks
from ishop4u_cli.stores.base import Store
from ishop4u_cli.stores.urls import Url

# Parameters that only say where a click came from, on any site. Unknown shops
# get a blocklist because nothing tells us which of their parameters identify
# the product (a Shopify `variant`, a `sku`, a `color`...): only these go.
TRACKING_PARAMS = frozenset(
    {
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "gad_source",
        "gad_campaignid",
        "fbclid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "igsh",
        "srsltid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "__hssc",
        "__hstc",
        "__hsfp",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "rb_clickid",
        "s_cid",
        "vero_conv",
        "vero_id",
        "wickedid",
        "epik",
        "spm",
        "scm",
        # clicks landed from affiliate networks (the link itself is kept when given)
        *networks.LANDING_PARAMS,
        "raneaid",  # Rakuten's, beside the ones networks.py counts as a landed click
        # Shopify's search and recommendation tracking
        "_pos",
        "_sid",
        "_ss",
        "_psq",
        "pr_prod_strat",
        "pr_rec_id",
        "pr_rec_pid",
        "pr_ref_pid",
        "pr_seq",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "piwik_", "matomo_", "pf_rd_", "pd_rd_", "_trk", "algo_")

_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


class GenericStore(Store):
    """A shop we know nothing about: no source of its own, no product id, no cart link."""

    def _normalize(self, url: Url) -> str:
        """Drop tracking parameters and the fragment, sort the query, lowercase scheme and host,
        drop a default port. Every other parameter stays, since it may be what identifies the product."""
        plain = canonical.plain_parts(url.text)
        if plain is not None:  # most URLs: no w3lib needed (stores/canonical.py says when)
            text = canonical.join(plain, [(k, v) for k, v in plain.pairs if not is_tracking_param(k)])
        else:
            from w3lib.url import canonicalize_url, url_query_cleaner

            text = url.text
            tracking = sorted({k for k, _ in url.pairs if is_tracking_param(k)})
            if tracking:
                text = url_query_cleaner(text, tracking, remove=True, unique=False)
            text = canonicalize_url(text, keep_fragments=False)
        parts = urlsplit(text)
        if parts.port is not None and _DEFAULT_PORTS.get(parts.scheme) == parts.port:
            netloc = parts.netloc.rsplit(":", 1)[0]
            text = urlunsplit(parts._replace(netloc=netloc))
        return text
