"""`product history`: a product's observations with its lowest, highest and current price.

Its own module because it reads a product as products.py does (get_product), and
products.py records history (history.py): neither of those may import the other's reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ishop4u_cli.services import products
from ishop4u_cli.services.history import Observation, history
from ishop4u_cli.services.products import StoredProduct

if TYPE_CHECKING:
    from sqlmodel import Session


@dataclass(frozen=True)
class PricePoint:
    price: Decimal
    currency: str
    observed_at: datetime  # UTC


@dataclass(frozen=True)
class ProductHistory:
    product: StoredProduct  # its price: the current one (the latest good one)
    observations: list[Observation]  # oldest first
    currency: str  # the currency lowest and highest are in: the current price's
    lowest: PricePoint | None  # the first time the lowest price in CURRENCY was seen
    highest: PricePoint | None  # the first time the highest price in CURRENCY was seen
    other_currencies: int  # priced observations in another currency, not compared

    @property
    def priced(self) -> list[Observation]:
        """The observations with a price in CURRENCY (what the chart shows)."""
        return [o for o in self.observations if o.price is not None and o.currency == self.currency]


def product_history(session: Session, product_id: int) -> ProductHistory:
    """PRODUCT_ID's observations with its lowest, highest and current price; NotFound for no such product.

    Prices are compared only within one currency: the current price's (else the latest
    observation's), so a store that changed currency is never read as a fall or a rise.
    """
    product = products.get_product(session, product_id)
    seen = history(session, product_id)
    priced = [o for o in seen if o.price is not None and o.currency]
    currency = product.currency if product.price is not None or not priced else priced[-1].currency or ""
    compared = [PricePoint(o.price, currency, o.observed_at) for o in priced if o.currency == currency]  # type: ignore[arg-type]
    return ProductHistory(
        product=product,
        observations=seen,
        currency=currency,
        lowest=min(compared, key=lambda p: p.price) if compared else None,
        highest=max(compared, key=lambda p: p.price) if compared else None,
        other_currencies=len(priced) - len(compared),
    )
