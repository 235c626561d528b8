"""`ishop4u db`: where the database is, its revision, upgrades, backups and securing it."""

from typing import Annotated

import typer

from ishop4u_cli.commands._shared import JsonOption, state

app = typer.Typer(
    help="Where the database is, its schema revision, upgrades, backups and securing it.",
    no_args_is_help=True,
)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where the database is (a file path, or the URL without its password)."""
    from ishop4u_cli.render import db as view

    view.path(state(ctx).url())


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest revision, adopting a seed-schema database."""
    from ishop4u_cli import migrate
    from ishop4u_cli.render import db as view

    st = state(ctx)
    with st.as_it_is() as engine:
        result = migrate.upgrade(engine)
    view.upgraded(result, url=st.url())


@app.command("current")
def current(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the database's revision, the newest revision, and whether it is up to date."""
    from ishop4u_cli import db
    from ishop4u_cli.render import db as view

    st = state(ctx)
    with st.as_it_is() as engine, engine.connect() as conn:
        revision = db.read_revision(conn)
    view.show_current(url=st.url(), revision=revision, head=db.SCHEMA_HEAD, as_json=as_json)


@app.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[str, typer.Argument(help="Where to write the copy (a new file).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite DEST if it exists.")] = False,
) -> None:
    """Write a consistent copy of the SQLite database to DEST, even while it is in use."""
    from ishop4u_cli.render import db as view
    from ishop4u_cli.services import backup as backup_service

    with state(ctx).as_it_is() as engine:
        written = backup_service.backup_sqlite(engine, dest, overwrite=force)
    view.backed_up(written)


@app.command("secure")
def secure(ctx: typer.Context) -> None:
    """Isolate each person's cart on PostgreSQL (row-level security); run once by the database owner.

    Creates the group role ishop4u_users if missing and grants it what ishop4u
    needs; then a person connecting with their own login role, a member of the
    group (GRANT ishop4u_users TO alice), reads and changes only their own cart,
    sessions and watches, never reads a password hash, and changes products and
    sources only as an admin or a product's creator may. Safe to run again;
    `db upgrade` keeps it current. SQLite: not needed (exit 2): the file's
    permissions protect it.
    """
    from ishop4u_cli.render import db as view
    from ishop4u_cli.services import secure as service

    st = state(ctx)
    view.secured(service.secure(st.engine()), url=st.url())
