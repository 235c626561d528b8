"""Product names: checked as typed or read, and made from the URL when neither the user nor the page gave one."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from ishop4u_cli import stores
from ishop4u_cli.errors import UsageError
from ishop4u_cli.text import one_line

NAME_MAX = 255


def clean_name(name: str) -> str:
    cleaned = one_line(name)
    if not cleaned:
        raise UsageError("a product name cannot be empty")
    if len(cleaned) > NAME_MAX:
        raise UsageError(f"a product name has at most {NAME_MAX} characters, not {len(cleaned)}")
    return cleaned


def name_from_url(url: str) -> str:
    """A readable name when neither the user nor the page gave one, from the page URL leads to.

    The last path segment that reads like words ('handmade-blue-mug' ->
    'handmade blue mug'), a product handle (/products/<handle>), else
    '<host> product <id or last segment>', the host as the product is stored (www.amazon.com
    for smile.amazon.com).
    """
    parts = urlsplit(stores.page_to_read(url) or url)
    # Amazon's "ref=sr_1_1" path segments are tracking, never a name.
    segments = [unquote(seg) for seg in parts.path.split("/") if seg and not seg.startswith(("ref=", "ref_"))]
    for n, seg in enumerate(reversed(segments)):
        stem = re.sub(r"\.(html?|php|aspx?)$", "", seg, flags=re.IGNORECASE)
        words = [w for w in re.split(r"[-_+\s]+", stem) if w]
        alpha = sum(any(ch.isalpha() for ch in w) for w in words)
        handle = n == 0 and len(segments) >= 2 and segments[-2].lower() == "products"  # Shopify's
        if alpha >= 2 or (handle and alpha >= 1 and len(words) == alpha):
            return clean_name(" ".join(words)[:NAME_MAX])
    host = (urlsplit(stores.normalize_url(url)).hostname or "").removeprefix("www.")
    last = stores.product_id(url) or (
        re.sub(r"\.(html?|php|aspx?)$", "", segments[-1], flags=re.IGNORECASE) if segments else ""
    )
    return clean_name(f"{host} product {last}".strip()[:NAME_MAX])
