"""`ishop4u cart`: Your cart across every store."""

import sys
from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import JsonOption, YesOption, confirm, state

app = typer.Typer(help="Your cart across every store.", no_args_is_help=True)

# Quantities are read as text and checked by the cart service, so that the
# error names the value given ("not '2.5'").
QtyOpt = Annotated[
    str | None,
    typer.Option(
        "--qty",
        "-q",
        metavar="N",
        help="The new quantity, a whole number from 1 to 9999.",
        show_default=False,
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="SOURCE",
        help="Only this source (store), by name or api name.",
        autocompletion=completion.source_names,
    ),
]


@app.command("add")
def add(
    ctx: typer.Context,
    items: Annotated[
        list[str],
        typer.Argument(
            metavar="ITEM",
            help="Product ids or product URLs; - reads them from stdin, one a line.",
            autocompletion=completion.product_ids,
            show_default=False,
        ),
    ],
    qty: Annotated[str, typer.Option("--qty", "-q", metavar="N", help="How many of each, 1 to 9999.")] = "1",
    notes: Annotated[
        str | None, typer.Option("--notes", metavar="TEXT", help="A note kept with each item.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", metavar="TEXT", help="With one new product URL: its name.")
    ] = None,
    price: Annotated[
        str | None,
        typer.Option("--price", metavar="PRICE", help="With one new product URL: its price, e.g. 19.99."),
    ] = None,
    currency: Annotated[
        str | None,
        typer.Option(
            "--currency",
            metavar="CODE",
            help="With one new product URL: its currency (ISO 4217). Default: $ISHOP4U_CURRENCY, else USD.",
        ),
    ] = None,
    no_fetch: Annotated[
        bool, typer.Option("--no-fetch", help="Do not read product pages for missing names or prices.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Add products (ids or URLs) to your cart, all in one transaction; re-adding adds to the quantity.

    With --price, --name or --currency: store one new product page and add it, in one step.
    """
    from ishop4u_cli.render import cart as view
    from ishop4u_cli.render import refresh as pages_view
    from ishop4u_cli.services import cart_items, catalogue

    quantity = cart_items.parse_quantity(qty)
    requests = catalogue.cart_requests(
        items, read_stdin=sys.stdin.read, name=name, price=price, currency=currency
    )
    if notes is not None:
        cart_items.clean_notes(notes)  # bad notes fail before any page is read
    order = catalogue.CartOrder(quantity=quantity, notes=notes)
    with pages_view.reading_pages() as bar:
        result = catalogue.add(
            state(ctx), requests, fetch=not no_fetch, cart=order, on_start=bar.start, on_page=bar.advance
        )
    view.added(result, as_json=as_json)


@app.command("list")
def list_(ctx: typer.Context, source: SourceOpt = None, as_json: JsonOption = False) -> None:
    """Show your cart grouped by store, with subtotals and totals per currency."""
    from ishop4u_cli.render import cart as view
    from ishop4u_cli.services import auth, cart

    with state(ctx).session() as session:
        contents = cart.get_cart(session, user_id=auth.current_user(session).id, source=source)
    view.show_cart(contents, as_json=as_json)


@app.command("update")
def update(
    ctx: typer.Context,
    product_id: Annotated[
        int,
        typer.Argument(
            metavar="PRODUCT_ID",
            help="The product's id in your cart.",
            autocompletion=completion.cart_product_ids,
        ),
    ],
    qty: QtyOpt = None,
    notes: Annotated[
        str | None, typer.Option("--notes", metavar="TEXT", help="New notes ('' clears them).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Set the quantity or the notes of a product in your cart."""
    from ishop4u_cli.render import cart as view
    from ishop4u_cli.services import auth, cart, cart_items

    quantity = cart_items.parse_quantity(qty) if qty is not None else None
    line = state(ctx).transaction(
        lambda s: cart.update_item(
            s, user_id=auth.current_user(s).id, product_id=product_id, quantity=quantity, notes=notes
        )
    )
    view.updated(line, as_json=as_json)


@app.command("remove")
def remove(
    ctx: typer.Context,
    product_ids: Annotated[
        list[int],
        typer.Argument(
            metavar="PRODUCT_ID",
            help="Ids of products in your cart.",
            autocompletion=completion.cart_product_ids,
        ),
    ],
) -> None:
    """Remove products from your cart (all or none: every id must be in it)."""
    from ishop4u_cli.render import cart as view
    from ishop4u_cli.services import auth, cart

    gone = state(ctx).transaction(
        lambda s: cart.remove_items(s, user_id=auth.current_user(s).id, product_ids=product_ids)
    )
    view.removed(gone)


@app.command("clear")
def clear(ctx: typer.Context, source: SourceOpt = None, yes: YesOption = False) -> None:
    """Empty your cart, or one store's part of it (asks first)."""
    from ishop4u_cli.render import cart as view
    from ishop4u_cli.services import auth, cart

    st = state(ctx)
    with st.session() as session:
        selected = cart.select_items(session, user_id=auth.current_user(session).id, source=source)
    if not selected.count:
        view.nothing_to_clear(source)
        return
    confirm(view.clear_question(selected.count, source), yes=yes)
    # Exactly the items that were counted: one added while the question waited stays.
    removed = st.transaction(lambda s: cart.remove_selected(s, selected))
    view.cleared(removed, source)


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[
        str, typer.Option("--format", metavar="FORMAT", help="json (one document) or csv (with a header).")
    ] = "json",
) -> None:
    """Write your cart to stdout, as `cart import` reads it back."""
    from ishop4u_cli.errors import UsageError
    from ishop4u_cli.render import transfer as view
    from ishop4u_cli.services import auth, cart, transfer

    if fmt.strip().lower() not in ("json", "csv"):
        raise UsageError(f"unknown format {fmt!r}: use json or csv")
    with state(ctx).session() as session:
        contents = cart.get_cart(session, user_id=auth.current_user(session).id)
    if fmt.strip().lower() == "csv":
        view.export_csv(contents.lines, transfer.CART_COLUMNS)
    else:
        view.export_json(contents)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="A file written by `cart export` (JSON or CSV); - reads stdin.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="json or csv. Default: from the extension, else from the content.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import cart items, all or nothing: each sets that product's quantity and notes in your cart."""
    from ishop4u_cli.render import transfer as view
    from ishop4u_cli.services import transfer

    imported = transfer.import_cart_file(
        state(ctx), file, fmt=fmt, progress=view.progress_bar("Importing the cart")
    )
    view.cart_import(imported.result, name=imported.name, as_json=as_json)
