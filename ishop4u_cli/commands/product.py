"""`ishop4u product`: Products: their pages, prices and affiliate links."""

from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import JsonOption, YesOption, confirm, state

app = typer.Typer(help="Products: their pages, prices and affiliate links.", no_args_is_help=True)

IdArg = Annotated[
    int,
    typer.Argument(
        metavar="ID",
        help="The product's id (see: ishop4u product list).",
        autocompletion=completion.product_ids,
    ),
]
NameOpt = Annotated[str | None, typer.Option("--name", metavar="TEXT", help="The product's name.")]
PriceOpt = Annotated[
    str | None,
    typer.Option(
        "--price", metavar="PRICE", help="The price, e.g. 19.99 (0 to 99999999.99, two decimals at most)."
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency", metavar="CODE", help="An ISO 4217 code, e.g. EUR. Default: $ISHOP4U_CURRENCY, else USD."
    ),
]
ImageOpt = Annotated[str | None, typer.Option("--image", metavar="URL", help="The image's URL.")]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="SOURCE",
        help="The source (store) by name or api name.",
        autocompletion=completion.source_names,
    ),
]
NoFetchOpt = Annotated[
    bool, typer.Option("--no-fetch", help="Do not read the product page for a missing name or price.")
]


@app.command("add")
def add(
    ctx: typer.Context,
    url: Annotated[
        str, typer.Argument(metavar="URL", help="The product page or an affiliate link (http or https).")
    ],
    name: NameOpt = None,
    price: PriceOpt = None,
    currency: CurrencyOpt = None,
    image: ImageOpt = None,
    source: SourceOpt = None,
    no_fetch: NoFetchOpt = False,
    as_json: JsonOption = False,
) -> None:
    """Add a product by its page URL; a page already stored returns the stored product.

    The product is yours: its page, source and link are yours (and the admins') to change.
    """
    from ishop4u_cli.render import products as view
    from ishop4u_cli.services import catalogue, products

    new = products.parse_new_product(
        url, name=name, price=price, currency=currency, image=image, source=source
    )
    # Not signed in: catalogue.add says so before any page is read.
    result = catalogue.add(state(ctx), [new], fetch=not no_fetch)
    view.added(result, as_json=as_json)


@app.command("list")
def list_(
    ctx: typer.Context,
    source: SourceOpt = None,
    search: Annotated[
        str | None, typer.Option("--search", metavar="TEXT", help="Only names containing TEXT (any case).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List products, optionally of one source or matching a search."""
    from ishop4u_cli.render import products as view
    from ishop4u_cli.services import products

    with state(ctx).session() as session:
        items = products.list_products(session, source=source, search=search)
    view.show_list(items, as_json=as_json)


@app.command("show")
def show(ctx: typer.Context, product_id: IdArg, as_json: JsonOption = False) -> None:
    """Show a product: price, store, page, affiliate link and how many carts hold it."""
    from ishop4u_cli.render import products as view
    from ishop4u_cli.services import products

    with state(ctx).session() as session:
        found = products.get_with_carts(session, product_id)
    view.show_one(found, as_json=as_json)


@app.command("edit")
def edit(
    ctx: typer.Context,
    product_id: IdArg,
    name: NameOpt = None,
    price: Annotated[
        str | None, typer.Option("--price", metavar="PRICE", help="A new price ('' for no price).")
    ] = None,
    currency: Annotated[
        str | None, typer.Option("--currency", metavar="CODE", help="A new ISO 4217 code, e.g. EUR.")
    ] = None,
    image: Annotated[
        str | None, typer.Option("--image", metavar="URL", help="A new image URL ('' for none).")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="Another source by name ('' for none).",
            autocompletion=completion.source_names,
        ),
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", metavar="URL", help="Another product page or affiliate link.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a product's name, price, currency, image, source or page.

    Anyone signed in may correct the name, price, currency and image; the page and source (so the
    affiliate link) are for the user who added the product and for admins.
    """
    from ishop4u_cli.render import products as view
    from ishop4u_cli.services import permissions, product_edit

    changes = product_edit.parse_changes(
        name=name, price=price, currency=currency, image=image, source=source, url=url
    )
    product, changed = state(ctx).transaction(
        lambda s: product_edit.edit_product(s, product_id, changes, by=permissions.signed_in(s))
    )
    view.edited(product, changed, as_json=as_json)


@app.command("remove")
def remove(ctx: typer.Context, product_id: IdArg, yes: YesOption = False) -> None:
    """Remove a product; it leaves every cart that holds it (asks first). Its creator or an admin only."""
    from ishop4u_cli.render import products as view
    from ishop4u_cli.services import permissions, product_edit

    st = state(ctx)
    with st.session() as session:
        found = product_edit.removal_of(session, product_id, by=permissions.signed_in(session))
    confirm(view.removal_question(found), yes=yes)
    # By the id that was shown; the carts are counted again as it goes (they may have changed meanwhile).
    gone = st.transaction(
        lambda s: product_edit.remove_product(s, found.product.id, by=permissions.signed_in(s))
    )
    view.removed(gone.product, carts=gone.carts)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A CSV file with a header, or JSON Lines; - reads stdin.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="FORMAT",
            help="csv or jsonl. Default: from the extension, else from the content.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import products (columns name, url, price, currency, source, image), all or nothing."""
    from ishop4u_cli.render import transfer as view
    from ishop4u_cli.services import transfer

    imported = transfer.import_product_file(
        state(ctx), file, fmt=fmt, progress=view.progress_bar("Importing products")
    )
    view.product_import(imported.result, name=imported.name, as_json=as_json)


@app.command("watch")
def watch(
    ctx: typer.Context,
    product_id: IdArg,
    below: Annotated[
        str | None,
        typer.Option("--below", metavar="PRICE", help="Alert when the price is at or below PRICE, e.g. 15."),
    ] = None,
    drop: Annotated[
        str | None,
        typer.Option(
            "--drop",
            metavar="PERCENT",
            help=(
                "Alert when the price is at or below today's less PERCENT (above 0, below 100), "
                "e.g. 10; the mark is rounded down to the cent."
            ),
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Watch a product's price: `refresh` alerts when it is at or below your mark.

    Give exactly one of --below and --drop. An alert fires once per crossing of the mark, and
    again when the price falls below the lowest price already alerted. Watching a product
    again replaces its watch.
    """
    from ishop4u_cli.render import watches as view
    from ishop4u_cli.services import auth, watches

    rule = watches.parse_rule(below=below, drop=drop)
    watched = state(ctx).transaction(
        lambda s: watches.watch(
            s, user_id=auth.current_user(s).id, product_id=product_id, below=rule.below, drop=rule.drop
        )
    )
    view.watched(watched, as_json=as_json)


@app.command("unwatch")
def unwatch(ctx: typer.Context, product_id: IdArg) -> None:
    """Stop watching a product's price."""
    from ishop4u_cli.render import watches as view
    from ishop4u_cli.services import auth, watches

    gone = state(ctx).transaction(
        lambda s: watches.unwatch(s, user_id=auth.current_user(s).id, product_id=product_id)
    )
    view.unwatched(gone)


@app.command("watches")
def watches_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List your price watches: each product's mark, current price and whether it has alerted."""
    from ishop4u_cli.render import watches as view
    from ishop4u_cli.services import auth, watches

    with state(ctx).session() as session:
        found = watches.list_watches(session, user_id=auth.current_user(session).id)
    view.show_watches(found, as_json=as_json)


@app.command("history")
def history(ctx: typer.Context, product_id: IdArg, as_json: JsonOption = False) -> None:
    """Show a product's price history: observations, lowest, highest and current price, and a chart."""
    from ishop4u_cli.render import history as view
    from ishop4u_cli.services import product_history

    with state(ctx).session() as session:
        found = product_history.product_history(session, product_id)
    view.show_history(found, as_json=as_json)
