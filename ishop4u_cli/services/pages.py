"""Reading product pages: name, price, currency and image from a page's structured data.

(Interface stub: the store-links work fills this in.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class PageInfo:
    """What a product page told us; `problems` says what was missing or went wrong."""

    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    image_url: str | None = None
    problems: list[str] = field(default_factory=list)


def fetch_page_info(url: str, *, timeout: float = 10.0) -> PageInfo:
    """Fetch URL and read what it says about the product. Never raises for a bad page."""
    return PageInfo(problems=["page reading is not implemented yet"])
