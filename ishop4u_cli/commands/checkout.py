"""`ishop4u checkout`: store by store, the links to buy your cart with."""

from pathlib import Path
from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import Declined, JsonOption, YesOption, confirm, state
from ishop4u_cli.errors import UsageError

HELP = "Store by store, the links to buy your cart with; `checkout done STORE` after buying there."
MAX_TABS = 10  # --open asks before opening more

app = typer.Typer(help=HELP, invoke_without_command=True, no_args_is_help=False)

SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="SOURCE",
        help="Only this source (store), by name or api name; 'other' for products without one.",
        autocompletion=completion.checkout_stores,
    ),
]
OpenOpt = Annotated[
    bool,
    typer.Option(
        "--open",
        help=f"Open each store-cart link (else each item's link) in your browser; asks above {MAX_TABS} tabs. "
        "With --html: open the page instead.",
    ),
]
HtmlOpt = Annotated[
    bool,
    typer.Option(
        "--html",
        help="Write the checkout as one HTML page (pictures, a button per store cart) and print its path.",
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        dir_okay=False,
        help="With --html: write the page to FILE (default: checkout.html in your cache directory).",
    ),
]


def open_url(url: str) -> bool:
    """Open URL in the default browser; False when no browser could be started.

    The one place ishop4u starts a browser (tests replace this function).
    """
    import webbrowser

    from ishop4u_cli.text import url_without_controls

    # A link stored before URLs were cleaned (or by another tool) reaches the browser without
    # control or bidi characters, percent-encoded as a stored URL has them.
    return webbrowser.open(url_without_controls(url))


@app.callback()
def checkout(
    ctx: typer.Context,
    source: SourceOpt = None,
    as_json: JsonOption = False,
    open_: OpenOpt = False,
    html: HtmlOpt = False,
    output: OutputOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help=f"Open more than {MAX_TABS} tabs without asking.")
    ] = False,
) -> None:
    """Store by store, the links to buy your cart with; `checkout done STORE` after buying there."""
    if ctx.invoked_subcommand is not None:
        if source is not None or as_json or open_ or yes or html or output is not None:
            raise UsageError(
                f"--source, --json, --open, --html, --output and --yes are for `ishop4u checkout` alone; "
                f"`checkout {ctx.invoked_subcommand}` takes its own options after its name "
                f"(see: ishop4u checkout {ctx.invoked_subcommand} --help)"
            )
        return
    if html and as_json:
        raise UsageError("--html and --json are two different outputs: pass one of them")
    if output is not None and not html:
        raise UsageError("--output is where --html writes its page: add --html")
    from ishop4u_cli.render import checkout as view
    from ishop4u_cli.services import auth
    from ishop4u_cli.services import checkout as service

    with state(ctx).session() as session:
        result = service.get_checkout(session, user_id=auth.current_user(session).id, source=source)
    if html:
        from ishop4u_cli.render import checkout_page

        page = checkout_page.show_checkout_page(result, output)
        if open_:
            checkout_page.opened_page(page, open_url(page.as_uri()))
        return
    view.show_checkout(result, as_json=as_json)
    if not open_ or result.empty:
        return
    links = result.links_to_open()
    if len(links) > MAX_TABS:
        try:
            confirm(view.open_question(len(links)), yes=yes)
        except Declined:
            raise Declined("nothing was opened") from None
    opened = 0
    for link in links:
        if not open_url(link):
            break  # no browser: the rest would fail the same way, one warning each
        opened += 1
    view.opened(opened, links[opened:])


@app.command("done")
def done(
    ctx: typer.Context,
    store: Annotated[
        str,
        typer.Argument(
            metavar="STORE",
            help="The source you bought at, by name or api name; 'other' for products without a source.",
            show_default=False,
            autocompletion=completion.checkout_stores,
        ),
    ],
    yes: YesOption = False,
) -> None:
    """After buying at STORE, remove its items from your cart in one step (asks first)."""
    from ishop4u_cli.render import checkout as view
    from ishop4u_cli.services import auth, cart
    from ishop4u_cli.services import checkout as service

    st = state(ctx)
    with st.session() as session:
        found = service.store_items(session, user_id=auth.current_user(session).id, store=store)
    if found.count == 0:
        view.nothing_to_remove(found.label)
        return
    confirm(view.done_question(found), yes=yes)
    # Exactly the items that were counted: one added while the question waited stays.
    removed = st.transaction(lambda s: cart.remove_selected(s, found.items))
    view.removed(found.label, removed)
