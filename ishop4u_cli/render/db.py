"""Views for `ishop4u db`."""

from __future__ import annotations

from ishop4u_cli import render


def show_current(*, database: str, revision: str | None, head: str, as_json: bool) -> None:
    up_to_date = revision == head
    if as_json:
        render.json_doc({"database": database, "revision": revision, "head": head, "up_to_date": up_to_date})
        return
    render.out(f"database:  {database}")
    render.out(f"revision:  {revision or 'none'}")
    render.out(f"newest:    {head}")
    render.out(f"up to date: {'yes' if up_to_date else 'no (run: ishop4u db upgrade)'}")
