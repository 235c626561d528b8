"""`ishop4u source`: Affiliate sources (stores) and your tracking ids."""

from typing import Annotated

import typer

from ishop4u_cli import completion
from ishop4u_cli.commands._shared import JsonOption, YesOption, confirm, state

app = typer.Typer(help="Affiliate sources (stores) and your tracking ids.", no_args_is_help=True)

SourceArg = Annotated[
    str,
    typer.Argument(
        metavar="SOURCE",
        help="The source's name or api name (any case).",
        autocompletion=completion.source_names,
    ),
]


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List the sources with their tracking ids and product counts."""
    from ishop4u_cli.render import sources as view
    from ishop4u_cli.services import sources

    with state(ctx).session() as session:
        items = sources.list_sources(session)
    view.show_list(items, as_json=as_json)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The source's name, e.g. 'My Shop'.")],
    api_name: Annotated[
        str | None, typer.Option("--api-name", metavar="NAME", help="A short lower-case name, e.g. myshop.")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", metavar="URL", help="The shop's home page, e.g. https://shop.example."),
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option("--tag", metavar="TRACKING_ID", help="Your affiliate tracking id for this store."),
    ] = None,
    link_template: Annotated[
        str | None,
        typer.Option("--link-template", metavar="TEMPLATE", help="A network link template for this store."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Add a source (a store); its name and api name must be new. Admins only."""
    from ishop4u_cli.render import sources as view
    from ishop4u_cli.services import permissions, source_edit

    source = state(ctx).transaction(
        lambda s: source_edit.add_source(
            s,
            by=permissions.signed_in(s),
            name=name,
            api_name=api_name,
            base_url=base_url,
            tracking_id=tag,
            link_template=link_template,
        )
    )
    view.added(source, as_json=as_json)


@app.command("show")
def show(ctx: typer.Context, source: SourceArg, as_json: JsonOption = False) -> None:
    """Show a source, its tracking id and how many products it has."""
    from ishop4u_cli.render import sources as view
    from ishop4u_cli.services import sources

    with state(ctx).session() as session:
        item = sources.summary_of(session, source)
    view.show_one(item, as_json=as_json)


@app.command("edit")
def edit(
    ctx: typer.Context,
    source: SourceArg,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="A new name.")] = None,
    api_name: Annotated[
        str | None, typer.Option("--api-name", metavar="NAME", help="A new api name ('' clears it).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", metavar="URL", help="A new base URL ('' clears it).")
    ] = None,
    tag: Annotated[
        str | None,
        typer.Option(
            "--tag", metavar="TRACKING_ID", help="Your affiliate tracking id, e.g. mytag-20 ('' clears it)."
        ),
    ] = None,
    link_template: Annotated[
        str | None,
        typer.Option(
            "--link-template",
            metavar="TEMPLATE",
            help="A network link template for this store ('' clears it).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Change a source: its name, api name, base URL, tracking id (--tag) or link template. Admins only."""
    from ishop4u_cli.render import sources as view
    from ishop4u_cli.services import permissions, source_edit

    result = state(ctx).transaction(
        lambda s: source_edit.edit_source(
            s,
            source,
            by=permissions.signed_in(s),
            name=name,
            api_name=api_name,
            base_url=base_url,
            tracking_id=tag,
            link_template=link_template,
        )
    )
    view.edited(result, as_json=as_json)


@app.command("remove")
def remove(ctx: typer.Context, source: SourceArg, yes: YesOption = False) -> None:
    """Remove a source with its products and their cart items (asks first). Admins only."""
    from ishop4u_cli.render import sources as view
    from ishop4u_cli.services import permissions, source_edit

    st = state(ctx)
    with st.session() as session:
        found = source_edit.removal_of(session, source, by=permissions.signed_in(session))
    confirm(view.removal_question(found), yes=yes)
    # By the id that was shown; the counts in the message are of what went with it.
    gone = st.transaction(
        lambda s: source_edit.remove_source(s, found.source.id, by=permissions.signed_in(s))
    )
    view.removed(gone)
