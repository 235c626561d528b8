"""What every command shares for one run: the chosen database, opened on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ishop4u_cli import settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

T = TypeVar("T")


@dataclass
class AppState:
    db_option: str | None = None
    _engine: Any = field(default=None, repr=False)

    def target(self) -> str:
        """The --db value, $ISHOP4U_DATABASE_URL, or the default file, in that order."""
        return settings.database_target(self.db_option)

    def url(self) -> str:
        from ishop4u_cli import db

        return db.to_url(self.target())

    def engine(self) -> Engine:
        """The database engine, upgraded to the newest revision on first use."""
        if self._engine is None:
            from ishop4u_cli import db

            self._check_directory()
            self._engine = db.open_database(self.target())
        return self._engine

    def _check_directory(self) -> None:
        """A database file the user chose (--db, $ISHOP4U_DATABASE_URL) goes in a directory that exists.

        Only the default location is created on first use: a typo in --db must not
        make directories (and an empty cart) somewhere unexpected.
        """
        from ishop4u_cli import db
        from ishop4u_cli.errors import DatabaseError

        target = self.target()
        path = db.sqlite_path(db.to_url(target))
        if path is None or path.parent.is_dir() or path == settings.default_database_path():
            return
        given = "--db" if self.db_option else f"${settings.ENV_DATABASE_URL}"
        raise DatabaseError(
            f"cannot open the database at {path}: the directory {path.parent} does not exist "
            f"(create it first, or give {given} a file in an existing directory)"
        )

    @contextmanager
    def as_it_is(self) -> Iterator[Engine]:
        """The database without upgrading it, disposed at the end of the block.

        For the `db` commands, which look at (or upgrade, or copy) the schema as it is.
        """
        from ishop4u_cli import db

        self._check_directory()
        engine = db.open_database(self.target(), upgrade=False)
        try:
            yield engine
        finally:
            engine.dispose()

    def session(self) -> AbstractContextManager[Session]:
        """One transaction on the database (committed at the end of the block)."""
        from ishop4u_cli import db

        return db.session_scope(self.engine())

    def transaction(self, work: Callable[[Session], T]) -> T:
        """Run WORK in one transaction, retried on write conflicts."""
        from ishop4u_cli import db

        return db.run_transaction(self.engine(), work)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
