"""Checkout: the cart store by store, with the links to buy it with.

The listing, the line totals and the sums come from the cart service
(services/cart.py get_cart): this module only adds the links. For each store
it asks the store module (ishop4u_cli/stores) for links that fill the store's
own cart (Amazon's add-to-cart form, Shopify cart permalinks); items no such
link holds are bought through their own affiliate link.

Each item's affiliate link is the one its cart line checks out with for this
user (services/line_links.py): their own pasted link, the product's link when
it is theirs or ours, else one built from the source's tracking id; never
another user's affiliate id. An item checked out with the user's own link is
never put in a store-cart link, which would carry the source's tag instead: it
keeps its own link. An item with no link this user may have is listed without
one (`no_link`: checkout warns about them).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session

from ishop4u_cli import stores
from ishop4u_cli.errors import NotFound, UsageError
from ishop4u_cli.services import cart as cart_service
from ishop4u_cli.services import sources as sources_service
from ishop4u_cli.services.cart import CartLine, StoreGroup
from ishop4u_cli.services.sources import Source

OTHER_SHOPS = "Other shops"  # how products without a source are shown
OTHER_NAMES = ("other", "others", "other shops", "other shop")  # how `checkout done` names them


@dataclass(frozen=True)
class CheckoutItem:
    line: CartLine
    cart_link: str | None  # the store-cart link that holds this item, or None: buy via its own link


@dataclass(frozen=True)
class StoreCheckout:
    source: str | None  # the source's name; None for products without a source
    source_id: int | None
    items: list[CheckoutItem]
    subtotals: dict[str, Decimal]  # per currency, sorted by code
    unpriced: int  # items without a price, not in the subtotals
    cart_links: list[str]  # links that fill the store's own cart (one per Amazon domain, per Shopify shop)

    @property
    def label(self) -> str:
        return self.source or OTHER_SHOPS

    @property
    def loose(self) -> list[CheckoutItem]:
        """Items no store-cart link holds: each is bought through its own affiliate link."""
        return [item for item in self.items if item.cart_link is None]

    def links_to_open(self) -> list[str]:
        """The store-cart links, then the affiliate links of the items they do not hold."""
        loose = [i.line.affiliate_link for i in self.loose if i.line.affiliate_link]
        return list(dict.fromkeys([*self.cart_links, *loose]))


@dataclass(frozen=True)
class Checkout:
    stores: list[StoreCheckout]
    totals: dict[str, Decimal]  # per currency, sorted by code
    unpriced: int
    source: str | None = None  # the --source asked for, as shown ("Other shops" for 'other')

    @property
    def empty(self) -> bool:
        return not self.stores

    def links_to_open(self) -> list[str]:
        return list(dict.fromkeys(link for store in self.stores for link in store.links_to_open()))

    @property
    def unavailable(self) -> list[CartLine]:
        """Items whose page last said out of stock or discontinued (checkout warns about them)."""
        return [item.line for store in self.stores for item in store.items if item.line.unavailable]

    @property
    def no_link(self) -> list[CartLine]:
        """Items with no link this user may buy with (checkout warns about them)."""
        return [
            item.line for store in self.stores for item in store.items if item.line.affiliate_link is None
        ]


def get_checkout(session: Session, *, user_id: int, source: str | None = None) -> Checkout:
    """The user's cart per store with store-cart links; NotFound for an unknown SOURCE.

    SOURCE 'other' (when no source has that name) is the products without a source.
    """
    if source is None:
        found, cart = None, cart_service.get_cart(session, user_id=user_id)
    else:
        found = _resolve(session, source)
        cart = cart_service.store_cart(session, user_id=user_id, source_id=found.id if found else None)
    return Checkout(
        stores=[_store_checkout(group) for group in cart.groups],
        totals=cart.totals,
        unpriced=cart.unpriced,
        source=(found.name if found else OTHER_SHOPS) if source is not None else None,
    )


def _store_checkout(group: StoreGroup) -> StoreCheckout:
    # Lines go to the store module their page belongs to (a source is usually one
    # store, but a user may file any page under any source). The links come in the
    # order the stores' api names first appear: Shopify shops and any other shop
    # share "generic" (no source of their own), and so one place in that order.
    by_name: dict[str, list[tuple[stores.Store, stores.CartLinkItem, CartLine]]] = {}
    for line in group.lines:
        # The user's own link stays out of a store-cart link; a line without a link has no page for one.
        if line.personal_link or line.affiliate_link is None:
            continue
        page = line.url or line.affiliate_link
        try:
            store = stores.store_for_url(page)
            wanted = stores.CartLinkItem(url=page, product_id=store.product_id(page), quantity=line.quantity)
        except UsageError:  # a stored URL we cannot read: it keeps its own link
            continue
        by_name.setdefault(store.api_name, []).append((store, wanted, line))

    holder: dict[int, str] = {}  # product id -> the cart link holding it
    cart_links: list[str] = []
    for entries in by_name.values():
        ours = {id(wanted): line for _, wanted, line in entries}
        for store in dict.fromkeys(store for store, _, _ in entries):
            items = [wanted for owner, wanted, _ in entries if owner is store]
            for link in store.cart_links(items, tracking_id=group.tracking_id):
                cart_links.append(link.url)
                for held in link.items:
                    line = ours.get(id(held))
                    if line is not None:
                        holder.setdefault(line.product_id, link.url)
    return StoreCheckout(
        source=group.source,
        source_id=group.source_id,
        items=[CheckoutItem(line, holder.get(line.product_id)) for line in group.lines],
        subtotals=group.subtotals,
        unpriced=group.unpriced,
        cart_links=cart_links,
    )


# ---------------------------------------------------------------- after buying


@dataclass(frozen=True)
class StoreItems:
    """One store's part of the cart, as `checkout done` names it."""

    source: str | None  # None: products without a source
    items: cart_service.Selection  # what `checkout done` asks about, then removes (cart.remove_selected)

    @property
    def count(self) -> int:
        return self.items.count

    @property
    def label(self) -> str:
        return self.source or OTHER_SHOPS


def _resolve(session: Session, store: str) -> Source | None:
    """The source named STORE; None when STORE names the products without a source."""
    try:
        return sources_service.find_source(session, store)
    except NotFound:
        if store.strip().lower() in OTHER_NAMES:
            return None
        raise NotFound(
            f"no source named {store!r} (see: ishop4u source list; "
            f"'{OTHER_NAMES[0]}' names the products without a source)"
        ) from None


def store_items(session: Session, *, user_id: int, store: str) -> StoreItems:
    """The items of STORE (a source, or 'other') the cart holds."""
    source = _resolve(session, store)
    selection = cart_service.select_store_items(
        session, user_id=user_id, source_id=source.id if source else None
    )
    return StoreItems(source.name if source else None, selection)
