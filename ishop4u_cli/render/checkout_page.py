"""The checkout as one HTML page (`checkout --html`): pictures, store by store, a button per store cart.

One more view of the same checkout result the text and JSON views print
(services/checkout.py). The page is self-contained: CSS inline, no JavaScript,
nothing fetched but the stores' own pictures and pages. Names, notes and URLs
come from web pages and users, so they are hostile: Jinja2 escapes every value
(autoescape on), and only http(s) URLs ever become a link or a picture. A
Content-Security-Policy that allows no script at all backs that up.

Jinja2 is imported when a page is made, never at start-up.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ishop4u_cli import money, render, settings
from ishop4u_cli.errors import IshopError, NotFound
from ishop4u_cli.render.cart import unpriced_note
from ishop4u_cli.render.checkout import link_warnings, stock_warnings, subtotal_text

if TYPE_CHECKING:
    from ishop4u_cli.services.cart import CartLine
    from ishop4u_cli.services.checkout import Checkout, CheckoutItem, StoreCheckout

TEMPLATE = "checkout.html.j2"
WEB_SCHEMES = ("http", "https")
DISCLOSURE = (
    "The links on this page are affiliate links: when you buy through them, "
    "the owner of their tracking ids may earn a commission, at no cost to you."
)


def web_url(url: str | None) -> str | None:
    """URL when it is a plain http(s) address with a host; None for anything else.

    `javascript:`, `data:`, `file:` and the like never become a link or a picture,
    nor does a URL with spaces or control characters (which browsers strip,
    turning `java\\tscript:` into `javascript:`).
    """
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return None
    return url


# ---------------------------------------------------------------- what the template sees


@dataclass(frozen=True)
class PageItem:
    product_id: int
    name: str
    notes: str | None
    quantity: int
    unit_price: str | None  # "19.99 USD"; None: no price known
    line_total: str | None
    buy_link: str | None  # the affiliate link when it is a web address
    picture: str | None  # the image URL when it is a web address
    in_store_cart: bool  # a store-cart button above holds this item
    stock: str | None = None  # "Out of stock", "In stock", ...; None: not known
    stock_class: str = ""  # "in-stock", "out-of-stock", "preorder", "discontinued"
    change: str | None = None  # "Price down 3.00 USD since you added it"; None: no change known
    change_class: str = ""  # "down" or "up"


STOCK = {
    "in_stock": "In stock",
    "out_of_stock": "Out of stock",
    "preorder": "Preorder",
    "discontinued": "Discontinued",
}


@dataclass(frozen=True)
class CartButton:
    url: str
    label: str  # "Open amazon.com cart, 3 items"


@dataclass(frozen=True)
class PageStore:
    label: str
    count: str  # "3 items"
    buttons: list[CartButton]
    items: list[PageItem]
    subtotal: str  # "59.97 USD + 1 item without a price"


@dataclass(frozen=True)
class Page:
    title: str
    stores: list[PageStore]
    totals: list[str]  # one per currency
    unpriced: str | None  # "1 item without a price is not in the totals."
    empty_note: str | None
    disclosure: str


def _count(n: int, noun: str = "item") -> str:
    return render.plural(n, noun)


def _amounts(amounts: dict[str, Decimal]) -> list[str]:
    return [money.format_amount(amount, code) for code, amount in amounts.items()]


def _host(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _page_item(item: CheckoutItem) -> PageItem:
    line = item.line
    priced = line.price is not None and line.line_total is not None
    return PageItem(
        product_id=line.product_id,
        name=line.name,
        notes=line.notes or None,
        quantity=line.quantity,
        unit_price=money.format_amount(line.price, line.currency) if priced else None,
        line_total=money.format_amount(line.line_total, line.currency) if priced else None,
        buy_link=web_url(line.affiliate_link),
        picture=web_url(line.image_url),
        in_store_cart=item.cart_link is not None,
        stock=_stock(line),
        stock_class=line.availability.replace("_", "-") if line.availability in STOCK else "",
        change=_change(line),
        change_class="" if not line.price_change else ("down" if line.price_change < 0 else "up"),
    )


def _stock(line: CartLine) -> str | None:
    """What the product's page last said about its stock, and when."""
    label = STOCK.get(line.availability)
    if label is None:
        return None
    return f"{label} (checked {line.checked_at:%Y-%m-%d})" if line.checked_at else label


def _change(line: CartLine) -> str | None:
    delta = line.price_change
    if not delta:
        return None
    way = "down" if delta < 0 else "up"
    return f"Price {way} {money.format_amount(abs(delta), line.currency)} since you added it"


def _buttons(store: StoreCheckout) -> list[CartButton]:
    buttons = []
    for link in store.cart_links:
        url = web_url(link)
        if url is None:
            continue
        held = sum(1 for item in store.items if item.cart_link == link)
        buttons.append(CartButton(url=url, label=f"Open {_host(url)} cart, {_count(held)}"))
    return buttons


def page_model(checkout: Checkout) -> Page:
    """What the template shows, every value plain text or a checked web address."""
    stores = [
        PageStore(
            label=store.label,
            count=_count(len(store.items)),
            buttons=_buttons(store),
            items=[_page_item(item) for item in store.items],
            subtotal=subtotal_text(store),
        )
        for store in checkout.stores
    ]
    unpriced = unpriced_note(checkout.unpriced) if checkout.unpriced else None
    where = f" from {checkout.source}" if checkout.source else ""
    return Page(
        title=f"Checkout: {checkout.source}" if checkout.source else "Checkout",
        stores=stores,
        totals=_amounts(checkout.totals),
        unpriced=unpriced,
        empty_note=f"Nothing to check out: your cart has no items{where}." if checkout.empty else None,
        disclosure=DISCLOSURE,
    )


def page_html(checkout: Checkout) -> str:
    """The whole page as one string."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ishop4u_cli.render", "templates"),
        autoescape=True,  # every value is text, whatever the template's name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(page=page_model(checkout))


# ---------------------------------------------------------------- the file


def _write_atomically(target: Path, text: str) -> None:
    """Replace TARGET with TEXT in one step: a reader sees the old page or the new one, never half."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            mode = target.stat().st_mode & 0o777  # keep the mode of the page it replaces
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_checkout_page(checkout: Checkout, output: Path | None) -> Path:
    """Write the page to OUTPUT (default: checkout.html in the user cache directory); its path."""
    if output is None:
        target = settings.checkout_page_path()
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    else:
        target = output.expanduser()
        if not target.parent.is_dir():
            raise NotFound(f"no such directory for the checkout page: {target.parent}")
        if target.is_dir():
            raise IshopError(f"--output names a directory, not a file: {target} (add a file name)")
    target = target.absolute()
    try:
        _write_atomically(target, page_html(checkout))
    except OSError as exc:
        raise IshopError(f"cannot write the checkout page to {target}: {exc.strerror or exc}") from None
    return target


def show_checkout_page(checkout: Checkout, output: Path | None) -> Path:
    """Write the page and print its path on stdout (the path is the data); the path, for --open.

    Items out of stock or discontinued, and items without a link, are warned about on stderr
    first, as the text view does.
    """
    stock_warnings(checkout)
    link_warnings(checkout)
    path = write_checkout_page(checkout, output)
    render.out(str(path))
    return path


def opened_page(path: Path, ok: bool) -> None:
    """What `--html --open` did, on stderr."""
    if ok:
        render.message("Opened the checkout page in your browser.")
    else:
        render.warning(f"could not open a browser for {path.as_uri()}: open it yourself")
