"""What `cart add` and `cart update` are given: quantities, notes and ITEMs (ids or product pages).

Checks only: no database, no network. services/cart.py stores what these describe.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ishop4u_cli.errors import UsageError
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services.products import NewProduct
from ishop4u_cli.text import without_controls

QTY_MIN = 1
QTY_MAX = 9999
NOTES_MAX = 1000


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not QTY_MIN <= quantity <= QTY_MAX:
        raise UsageError(f"a quantity is a whole number from {QTY_MIN} to {QTY_MAX}, not {quantity!r}")
    return quantity


def parse_quantity(text: str) -> int:
    """A quantity typed on the command line: '3' -> 3; UsageError naming anything else."""
    raw = text.strip()
    if not raw.isascii() or not raw.isdigit() or not QTY_MIN <= int(raw) <= QTY_MAX:
        raise UsageError(f"a quantity is a whole number from {QTY_MIN} to {QTY_MAX}, not {text!r}")
    return int(raw)


def clean_notes(notes: str) -> str | None:
    """Notes as given ('' clears them); at most NOTES_MAX characters."""
    cleaned = without_controls(notes, keep_newlines=True).strip()
    if len(cleaned) > NOTES_MAX:
        raise UsageError(f"notes have at most {NOTES_MAX} characters, not {len(cleaned)}")
    return cleaned or None


# ---------------------------------------------------------------- what to add


@dataclass(frozen=True)
class ItemRequest:
    """One ITEM of `cart add`: a product id, or a product page to store on the way."""

    label: str  # how errors name it: "item '12'", "line 3 of stdin ('12')"
    product_id: int | None = None
    new: NewProduct | None = None


def parse_item(text: str, *, label: str) -> ItemRequest:
    """A product id ('12') or a URL; UsageError prefixed with LABEL otherwise."""
    raw = text.strip()
    if raw.isdigit():
        return ItemRequest(label=label, product_id=int(raw))
    if "://" not in raw:
        raise UsageError(f"{label}: not a product id or an http(s) URL: {raw!r}{_scheme_hint(raw)}")
    try:
        new = products_service.parse_new_product(raw)
    except UsageError as exc:
        raise UsageError(f"{label}: {exc}") from None
    return ItemRequest(label=label, new=new)


def parse_items(items: list[str], *, read_stdin: Callable[[], str]) -> list[ItemRequest]:
    """The ITEMs of `cart add`; '-' reads more from stdin, one a line, skipping blank lines."""
    requests: list[ItemRequest] = []
    for arg in items:
        if arg.strip() == "-":
            lines = read_stdin().splitlines()
            found = 0
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                found += 1
                label = f"line {number} of stdin ({line.strip()!r})"
                requests.append(parse_item(line, label=label))
            if not found:
                raise UsageError("no items on stdin: give one product id or URL a line")
        else:
            requests.append(parse_item(arg, label=f"item {arg.strip()!r}"))
    if not requests:
        raise UsageError("give at least one product id or URL (or - to read them from stdin)")
    return requests


# A host name, then a path: amazon.com/dp/..., www.etsy.com/listing/...
_BARE_ADDRESS = re.compile(r"(?i)[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}(:\d+)?([/?#]\S*)?")


def _scheme_hint(raw: str) -> str:
    """For an address typed without its scheme, the URL it probably means."""
    if _BARE_ADDRESS.fullmatch(raw):
        return f" (a web address starts with https://: did you mean https://{raw}?)"
    return ""
