"""Views for `ishop4u user`. A password hash never reaches any of them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ishop4u_cli import render

if TYPE_CHECKING:
    from ishop4u_cli.services.auth import PasswordChanged, Registered, SignedOut
    from ishop4u_cli.services.users import Account, RemovalPlan

PASSWORD_PROMPT = "Password"
CURRENT_PASSWORD_PROMPT = "Current password"
NEW_PASSWORD_PROMPT = "New password"
REPEAT_PROMPT = "Repeat for confirmation"


def _who(user: Account) -> str:
    return f"{user.name} <{user.email}>"


def _created(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "-"  # the time is in the JSON


def user_doc(user: Account) -> dict[str, Any]:
    """A user as JSON: id, name, email, created_at, is_admin (never the hash)."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "created_at": user.created_at,
        "is_admin": user.is_admin,
    }


def created(registered: Registered) -> None:
    user, current = registered.user, registered.current
    render.message(f"Created user {_who(user)} (id {user.id}){', an admin' if user.is_admin else ''}.")
    if registered.signed_in:
        render.message(f"Signed in as {_who(user)}.")
    elif current is not None:
        render.message(f"Still signed in as {_who(current)}; to switch, run: ishop4u user login {user.email}")


def signed_in(user: Account) -> None:
    render.message(f"Signed in as {_who(user)}.")


def signed_out(result: SignedOut) -> None:
    if result.user is not None:
        render.message(f"Signed out {_who(result.user)}.")
    elif result.had_session:
        render.message("Signed out (the session had already ended).")
    elif not result.others:
        render.message("Not signed in; nothing to do.")
    if result.others:
        render.message(f"Signed out of {render.plural(result.others, 'other database')} on this machine.")


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
    from ishop4u_cli.render import tables

    rows = tables.Rows()
    for u in users:
        rows.add(str(u.id), u.name, u.email, "admin" if u.is_admin else "", _created(u.created_at))
    columns = [  # one line a user; on a narrow terminal the date goes first
        tables.Column("ID", justify="right"),
        tables.Column("Name", flex=True, min_width=12, weight=1),
        tables.Column("Email", flex=True, min_width=24, weight=2),
        tables.Column("Admin"),
        tables.Column("Created", drop=0),
    ]
    render.show(tables.fitted(columns, rows, render.width()))


def password_changed(result: PasswordChanged) -> None:
    render.message(f"Changed the password of {_who(result.user)}.")
    if result.other_sessions_ended:
        render.message(
            f"Signed out {render.plural(result.other_sessions_ended, 'other session')} of this account."
        )


def passwords_differ() -> None:
    render.message("The two passwords do not match; type them again.")


def password_prompt(email: str) -> str:
    return f"Password of {email.strip()}"


def _successor_note(plan: RemovalPlan) -> str:
    if plan.successor is None:
        return ""
    return f"; {_who(plan.successor)}, the oldest account left, becomes the admin"


def removal_question(plan: RemovalPlan) -> str:
    items = render.plural(plan.cart_items, "item")
    return f"Remove {plan.name} <{plan.email}> and their cart ({items}) for good{_successor_note(plan)}?"


def removed(plan: RemovalPlan, *, was_signed_in_here: bool) -> None:
    items = render.plural(plan.cart_items, "item")
    render.message(f"Removed {plan.name} <{plan.email}> and their cart ({items}).")
    if plan.successor is not None:
        render.message(f"{_who(plan.successor)} is the admin now (the oldest account left).")
    if was_signed_in_here:
        render.message("Nobody is signed in to this database on this machine now.")
