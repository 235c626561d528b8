"""Views for `ishop4u demo`: what it is about to do, each step, the result, and the clean-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ishop4u_cli import render

if TYPE_CHECKING:
    from pathlib import Path

    from ishop4u_cli.services.demo import DemoResult


def intro() -> None:
    render.message(
        "ishop4u demo: a throwaway database in a temporary directory; your own data is not touched."
    )


def step(text: str) -> None:
    """One step of the demo, as the demo service names it (indented under the intro)."""
    render.message(f"  {text}")


def result(done: DemoResult) -> None:
    """The products, the cart and the checkout, as `product list`, `cart list` and `checkout` show them."""
    from ishop4u_cli.render import cart as cart_view
    from ishop4u_cli.render import checkout as checkout_view
    from ishop4u_cli.render import products as products_view

    render.message("The products, each with its affiliate link (ishop4u product list):")
    products_view.show_list(done.products, as_json=False)
    render.out()
    render.message(f"The cart of {done.user_name} (ishop4u cart list):")
    cart_view.show_cart(done.cart, as_json=False)
    render.out()
    render.message("Store by store, the links to buy it with (ishop4u checkout):")
    checkout_view.show_checkout(done.checkout, as_json=False)


def finished(directory: Path) -> None:
    """After the temporary directory was removed (or, rarely, could not be)."""
    if directory.exists():  # pragma: no cover - TemporaryDirectory removes it
        render.warning(f"could not remove the demo directory {directory}")
        return
    render.message("Done: the demo database is gone, nothing was left behind.")
    render.message(
        "Start your own cart: ishop4u user add NAME EMAIL, then ishop4u cart add URL, then ishop4u checkout"
    )
