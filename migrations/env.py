"""Alembic environment for ishop4u.

The program runs migrations through ishop4u_cli.migrate, which hands over an
open connection inside its own transaction (so a failed migration leaves the
database as it was). Developers can also run `alembic` from the repository root
(configured under [tool.alembic] in pyproject.toml) against $ISHOP4U_DATABASE_URL
or the default database.
"""

from alembic import context
from sqlmodel import SQLModel

import ishop4u_cli.models  # noqa: F401  (registers the tables on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata


def _configure_and_run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from ishop4u_cli import db, settings

    engine = db.make_engine(db.to_url(settings.database_target(None)))
    with engine.begin() as conn:
        _configure_and_run(conn)


if context.is_offline_mode():
    raise SystemExit("ishop4u migrations run online only")
run_migrations_online()
