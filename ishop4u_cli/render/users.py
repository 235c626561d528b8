"""Views for `ishop4u user`. A password hash never reaches any of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ishop4u_cli import render

if TYPE_CHECKING:
    from ishop4u_cli.services.users import Account


def _who(user: Account) -> str:
    return f"{user.name} <{user.email}>"


def _created(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"  # the time is in the JSON


def user_doc(user: Account) -> dict[str, Any]:
    """A user as JSON: id, name, email, created_at (never the hash)."""
    return {"id": user.id, "name": user.name, "email": user.email, "created_at": user.created_at}


def created(user: Account, *, signed_in: bool, current: Account | None) -> None:
    render.message(f"Created user {_who(user)} (id {user.id}).")
    if signed_in:
        render.message(f"Signed in as {_who(user)}.")
    elif current is not None:
        render.message(f"Still signed in as {_who(current)}; to switch, run: ishop4u user login {user.email}")


def signed_in(user: Account) -> None:
    render.message(f"Signed in as {_who(user)}.")


def signed_out(user: Account | None, *, had_file: bool) -> None:
    if user is not None:
        render.message(f"Signed out {_who(user)}.")
    elif had_file:
        render.message("Signed out (the session had already ended).")
    else:
        render.message("Not signed in; nothing to do.")


def whoami(user: Account, *, as_json: bool) -> None:
    if as_json:
        render.json_doc(user_doc(user))
        return
    render.out(f"{_who(user)} (id {user.id})")


def user_list(users: list[Account], *, as_json: bool) -> None:
    if as_json:
        render.json_doc([user_doc(u) for u in users])
        return
    if not users:
        render.message("No users yet; run: ishop4u user add NAME EMAIL")
        return
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("ID", justify="right", no_wrap=True)
    table.add_column("Name", overflow="fold")
    table.add_column("Email", overflow="fold")
    table.add_column("Created", no_wrap=True)
    for u in users:
        table.add_row(str(u.id), render.literal(u.name), render.literal(u.email), _created(u.created_at))
    render.show(table)


def password_changed(user: Account, *, other_sessions_ended: int) -> None:
    render.message(f"Changed the password of {_who(user)}.")
    if other_sessions_ended:
        render.message(f"Signed out {render.plural(other_sessions_ended, 'other session')} of this account.")


def password_prompt(email: str) -> str:
    return f"Password of {email.strip()}"


def removal_question(*, name: str, email: str, cart_items: int) -> str:
    return f"Remove {name} <{email}> and their cart ({render.plural(cart_items, 'item')}) for good?"


def removed(*, name: str, email: str, cart_items: int, was_signed_in_here: bool) -> None:
    render.message(f"Removed {name} <{email}> and their cart ({render.plural(cart_items, 'item')}).")
    if was_signed_in_here:
        render.message("Nobody is signed in on this machine now.")
