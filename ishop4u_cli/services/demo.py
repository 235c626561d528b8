"""The demo: the whole flow on a throwaway database, with no network and no session file.

The caller owns the directory (a TemporaryDirectory) and the printing; this
module only does the work, calling the services directly with the demo user.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ishop4u_cli import db
from ishop4u_cli.services import cart as cart_service
from ishop4u_cli.services import cart_add, source_edit
from ishop4u_cli.services import checkout as checkout_service
from ishop4u_cli.services import products as products_service
from ishop4u_cli.services import users as users_service
from ishop4u_cli.services.cart import Cart
from ishop4u_cli.services.cart_items import ItemRequest
from ishop4u_cli.services.checkout import OTHER_SHOPS, Checkout
from ishop4u_cli.services.products import StoredProduct

DEMO_TAG = "ishop4udemo-20"

# (url with tracking noise, name, price, currency, quantity, notes)
DEMO_PRODUCTS = [
    (
        "https://www.amazon.com/Smart-Speaker/dp/B09B8V1LZ3/ref=sr_1_1?keywords=speaker&utm_source=demo",
        "Smart speaker",
        "49.99",
        "USD",
        1,
        None,
    ),
    (
        "https://www.aliexpress.com/item/1005006012345678.html?spm=a2g0o.home.0.0&algo_pvid=demo",
        "USB-C cable, 3 pack",
        "4.19",
        "USD",
        3,
        None,
    ),
    (
        "https://www.ebay.com/itm/256123456789?_trkparms=demo&_trksid=p123",
        "Vintage 50mm camera lens",
        "120.00",
        "USD",
        1,
        "check the mount",
    ),
    (
        "https://www.etsy.com/listing/1234567890/handmade-ceramic-mug?ref=hp_rv&utm_medium=demo",
        "[sale] handmade ceramic mug",
        "24.50",
        "USD",
        2,
        "one for Sam",
    ),
    (
        "https://shop.example.com/products/gift-card?utm_campaign=demo",
        "Gift card (price to choose)",
        None,
        "USD",
        1,
        None,
    ),
]


@dataclass(frozen=True)
class DemoResult:
    user_name: str
    products: list[StoredProduct]
    cart: Cart
    checkout: Checkout


def run_demo(directory: Path, *, say: Callable[[str], None] = lambda _text: None) -> DemoResult:
    """Build a user, an Amazon tag, products from several stores, a cart and its checkout in DIRECTORY."""
    engine = db.open_database(str(directory / "demo.db"))
    try:
        with db.session_scope(engine) as session:
            user = users_service.create_user(
                session,
                name="Demo Shopper",
                email="demo@example.com",
                password=secrets.token_urlsafe(16),
            )
            user_id = user.id
            user_name = user.name
        say(f"Created the demo user {user_name} (id {user_id}).")

        with db.session_scope(engine) as session:
            source_edit.edit_source(session, "amazon", by=user, tracking_id=DEMO_TAG)
        say(f"Set the Amazon tracking id: ishop4u source edit amazon --tag {DEMO_TAG}")

        added: list[StoredProduct] = []
        with db.session_scope(engine) as session:
            for url, name, price, currency, quantity, notes in DEMO_PRODUCTS:
                new = products_service.parse_new_product(url, name=name, price=price, currency=currency)
                result = products_service.add_product(session, new, created_by=user_id)
                added.append(result.product)
                cart_add.add_items(
                    session,
                    user_id=user_id,
                    requests=[ItemRequest(label=url, product_id=result.product.id)],
                    quantity=quantity,
                    notes=notes,
                )
                store = result.product.source or OTHER_SHOPS
                say(f"Added product {result.product.id} ({store}) and {quantity} to the cart: {name}")

        # Adding again adds to the quantity (one atomic upsert).
        with db.session_scope(engine) as session:
            cart_add.add_items(
                session,
                user_id=user_id,
                requests=[ItemRequest(label="again", product_id=added[1].id)],
                quantity=2,
            )
        say(f"Added 2 more of product {added[1].id}: ishop4u cart add {added[1].id} --qty 2")

        with db.session_scope(engine) as session:
            contents = cart_service.get_cart(session, user_id=user_id)
            checkout = checkout_service.get_checkout(session, user_id=user_id)
    finally:
        engine.dispose()
    return DemoResult(user_name=user_name, products=added, cart=contents, checkout=checkout)
