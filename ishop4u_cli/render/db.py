"""Views for `ishop4u db`: where the database is, its revision, what an upgrade or a backup did."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ishop4u_cli import render

if TYPE_CHECKING:
    from pathlib import Path

    from ishop4u_cli.migrate import UpgradeResult
    from ishop4u_cli.services.secure import Secured


def _where(url: str) -> str:
    """A file path, or the URL without its password."""
    from ishop4u_cli import db

    return db.display(url)


def path(url: str) -> None:
    render.out(_where(url))


def show_current(*, url: str, revision: str | None, head: str, as_json: bool) -> None:
    database = _where(url)
    up_to_date = revision == head
    if as_json:
        render.json_doc({"database": database, "revision": revision, "head": head, "up_to_date": up_to_date})
        return
    render.out(f"database:  {database}")
    render.out(f"revision:  {revision or 'none'}")
    render.out(f"newest:    {head}")
    render.out(f"up to date: {'yes' if up_to_date else 'no (run: ishop4u db upgrade)'}")


def upgraded(result: UpgradeResult, *, url: str) -> None:
    where = _where(url)
    if result.adopted:
        origin = f"revision {result.adopted_from}" if result.adopted_from else "no revision"
        render.message(f"Adopted the seed-schema database at {where} ({origin}).")
    if result.from_revision == result.to_revision:
        render.message(f"Already at the newest revision {result.to_revision}: {where}")
    else:
        start = result.from_revision or ("0001 (adopted)" if result.adopted else "empty")
        render.message(f"Upgraded {where} from {start} to {result.to_revision}.")
    if result.resecured:
        render.message("Renewed what db secure set up (grants, row-level security, functions).")


def backed_up(written: Path) -> None:
    render.message(f"Backed up the database to {written}.")


def secured(result: Secured, *, url: str) -> None:
    where = _where(url)
    verb = "Secured again" if result.was_secured else "Secured"
    group = f"the group role {result.group}" + (" (created)" if result.group_created else "")
    render.message(
        f"{verb} {where}: {group} may use {render.plural(len(result.tables), 'table')}, "
        f"{len(result.row_security)} of them row by row ({', '.join(result.row_security)})."
    )
    if result.members:
        render.message(f"Members of {result.group}: {', '.join(result.members)}.")
    else:
        render.message(f"No role is a member of {result.group} yet: GRANT {result.group} TO <login role>;")
    if result.accounts_without_role:
        render.message(
            f"{render.plural(result.accounts_without_role, 'account')} "
            f"{render.plural(result.accounts_without_role, 'belongs', 'belong', number=False)} to no role: "
            "no member can sign in to it (as the owner, set users.db_role to the person's login role)."
        )
