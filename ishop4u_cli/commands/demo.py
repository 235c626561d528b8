"""`ishop4u demo`: the whole flow on a throwaway database."""

from ishop4u_cli import render


def demo() -> None:
    """Run the whole flow on a throwaway database in a temporary directory."""
    import tempfile
    from pathlib import Path

    from ishop4u_cli.render import cart as cart_view
    from ishop4u_cli.render import products as products_view
    from ishop4u_cli.services import demo as demo_service

    render.message(
        "ishop4u demo: a throwaway database in a temporary directory; your own data is not touched."
    )
    with tempfile.TemporaryDirectory(prefix="ishop4u-demo-") as tmp:
        where = Path(tmp)
        result = demo_service.run_demo(where, say=lambda text: render.message(f"  {text}"))
        render.message("The products, each with its affiliate link (ishop4u product list):")
        products_view.show_list(result.products, as_json=False)
        render.out()
        render.message(f"The cart of {result.user_name} (ishop4u cart list):")
        cart_view.show_cart(result.cart, as_json=False)
    if where.exists():  # pragma: no cover - TemporaryDirectory removes it
        render.warning(f"could not remove the demo directory {where}")
    else:
        render.message("Done: the demo database is gone, nothing was left behind.")
        render.message("Start your own cart: ishop4u user add NAME EMAIL, then ishop4u cart add URL")
