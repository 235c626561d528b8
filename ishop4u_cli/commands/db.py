"""`ishop4u db`: where the database is, its revision, upgrades and backups."""

from typing import Annotated

import typer

from ishop4u_cli import render
from ishop4u_cli.commands._shared import JsonOption, state

app = typer.Typer(
    help="Where the database is, its schema revision, upgrades and backups.", no_args_is_help=True
)


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where the database is (a file path, or the URL without its password)."""
    from ishop4u_cli import db

    render.out(db.display(state(ctx).url()))


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the newest revision, adopting a seed-schema database."""
    from ishop4u_cli import db, migrate

    st = state(ctx)
    engine = db.open_database(st.target(), upgrade=False)
    try:
        result = migrate.upgrade(engine)
    finally:
        engine.dispose()
    where = db.display(st.url())
    if result.adopted:
        origin = f"revision {result.adopted_from}" if result.adopted_from else "no revision"
        render.message(f"Adopted the seed-schema database at {where} ({origin}).")
    if result.from_revision == result.to_revision:
        render.message(f"Already at the newest revision {result.to_revision}: {where}")
    else:
        start = result.from_revision or ("0001 (adopted)" if result.adopted else "empty")
        render.message(f"Upgraded {where} from {start} to {result.to_revision}.")


@app.command("current")
def current(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """Show the database's revision, the newest revision, and whether it is up to date."""
    from ishop4u_cli import db
    from ishop4u_cli.render import db as db_view

    st = state(ctx)
    engine = db.open_database(st.target(), upgrade=False)
    try:
        with engine.connect() as conn:
            revision = db.read_revision(conn)
    finally:
        engine.dispose()
    db_view.show_current(
        database=db.display(st.url()), revision=revision, head=db.SCHEMA_HEAD, as_json=as_json
    )


@app.command("backup")
def backup(
    ctx: typer.Context,
    dest: Annotated[str, typer.Argument(help="Where to write the copy (a new file).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite DEST if it exists.")] = False,
) -> None:
    """Write a consistent copy of the SQLite database to DEST, even while it is in use."""
    from ishop4u_cli import db
    from ishop4u_cli.services import backup as backup_service

    st = state(ctx)
    engine = db.open_database(st.target(), upgrade=False)
    try:
        written = backup_service.backup_sqlite(engine, dest, overwrite=force)
    finally:
        engine.dispose()
    render.message(f"Backed up the database to {written}.")
