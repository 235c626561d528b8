"""`ishop4u refresh`: read product pages again and record their prices and stock."""

from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import JsonOption, state


def refresh(
    ctx: typer.Context,
    product_ids: Annotated[
        list[int] | None,
        typer.Argument(
            metavar="PRODUCT_ID",
            help="Only these products. Default: the products in your cart.",
            autocompletion=completion.product_ids,
            show_default=False,
        ),
    ] = None,
    cart: Annotated[bool, typer.Option("--cart", help="The products in your cart (the default).")] = False,
    everything: Annotated[bool, typer.Option("--all", help="Every product in the database.")] = False,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            metavar="SOURCE",
            help="Only this source's (store's) products, by name or api name.",
            autocompletion=completion.source_names,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option("--jobs", "-j", metavar="N", help="Pages read at once, 1 to 64 (2 at most per store)."),
    ] = 8,
    notify_urls: Annotated[
        list[str] | None,
        typer.Option(
            "--notify",
            metavar="URL",
            help="Send fired alerts to this Apprise URL (repeatable). Default: $ISHOP4U_NOTIFY_URLS.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only fired alerts and errors.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Read product pages again: record each price and stock, and report what changed and which alerts fired.

    Exit 0 when the run worked (even if some pages failed), 8 when no page could be read,
    9 when another refresh of the database is running. Time limit: $ISHOP4U_REFRESH_TIMEOUT
    seconds (default 600).
    """
    from ishop4u_cli.errors import AllPagesFailed, UsageError
    from ishop4u_cli.render import refresh as view
    from ishop4u_cli.services import refresh as refresh_service

    if product_ids and (cart or everything):
        raise UsageError("give PRODUCT_IDs, --cart or --all, not more than one")
    if cart and everything:
        raise UsageError("give --cart or --all, not both")
    with view.progress(quiet=quiet) as bar:
        result = refresh_service.refresh(
            state(ctx),
            product_ids=product_ids or (),
            everything=everything,
            source=source,
            jobs=jobs,
            notify_to=refresh_service.notify_urls(notify_urls or ()),
            on_start=bar.start,
            on_result=bar.checked,
        )
    view.refreshed(result, as_json=as_json, quiet=quiet)
    if result.interrupted:
        raise KeyboardInterrupt
    if result.all_failed:
        raise AllPagesFailed(view.all_failed(result))
