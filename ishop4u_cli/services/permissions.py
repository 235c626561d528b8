"""Who may change what on a shared database.

Every command that writes acts for the signed-in user (NotSignedIn, exit 4,
otherwise). Beyond that:

- sources: adding one, editing any of its fields and removing it belong to
  admins, since a source's name, tracking id, link template and base URL make
  every user's checkout links;
- a product's links (its page, its source, so its affiliate link) and its
  removal belong to the user who created it (`products.created_by`) and to
  admins;
- corrections of a product's name, price, currency and image are open to every
  signed-in user, and recorded as theirs (`products.edited_by`, the price
  observation's `user_id`);
- admins: the database's first account is one (services/users.py); only an
  admin makes another (`user add --admin`).

A refusal is NotAllowed (exit 10), one line saying who may do it; it is raised
before anything is written, so the transaction writes nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ishop4u_cli.errors import NotAllowed, NotFound
from ishop4u_cli.services import auth
from ishop4u_cli.services import users as users_service
from ishop4u_cli.services.users import Account
from ishop4u_cli.tables import products, users

if TYPE_CHECKING:
    from sqlmodel import Session

_SIGNED_IN = "ishop4u.signed_in"  # Session.info key: the user, looked up once a transaction


def signed_in(session: Session) -> Account:
    """The signed-in user (NotSignedIn, exit 4, otherwise), looked up once for SESSION's transaction."""
    user = session.info.get(_SIGNED_IN)
    if user is None:
        user = session.info[_SIGNED_IN] = auth.current_user(session)
    return user


def _admins(session: Session) -> str:
    emails = [a.email for a in users_service.admins(session)]
    return "admins: " + (", ".join(emails) if emails else "none")


def require_admin(session: Session, user: Account, action: str) -> None:
    """NotAllowed unless USER is an admin: "only an admin may ACTION (admins: ...)"."""
    if not user.is_admin:
        raise NotAllowed(f"only an admin may {action} ({_admins(session)})")


def creator_of(session: Session, product_id: int) -> int | None:
    """The id of the user who created the product (None: unknown, or their account is gone)."""
    row = session.exec(sa.select(products.c.created_by).where(products.c.id == product_id)).first()
    if row is None:
        raise NotFound(f"no product with the id {product_id}; see: ishop4u product list")
    return row.created_by


def require_creator_or_admin(session: Session, user: Account, product_id: int, action: str) -> None:
    """NotAllowed unless USER created product PRODUCT_ID or is an admin.

    ACTION completes "only the user who created product N (email) or an admin may ...".
    """
    creator = creator_of(session, product_id)
    if user.is_admin or (creator is not None and creator == user.id):
        return
    email = None
    if creator is not None:
        email = session.exec(sa.select(users.c.email).where(users.c.id == creator)).scalar()
    who = f"the user who created product {product_id} ({email}) or an admin" if email else "an admin"
    raise NotAllowed(f"only {who} may {action} ({_admins(session)})")


def accounts(session: Session) -> list[Account]:
    """`user list`: every account, shown to signed-in users only (emails are not for anyone who asks)."""
    signed_in(session)
    return users_service.list_users(session)


def check_may_make_admin(session: Session) -> None:
    """`user add --admin`, before a password is asked: only an admin makes another admin.

    A database with no account yet needs nobody: its first account is its admin anyway.
    """
    if session.exec(sa.select(users.c.id).limit(1)).first() is None:
        return
    require_admin(session, signed_in(session), "make another admin (user add --admin)")


def register(session: Session, *, name: str, email: str, password: str, admin: bool) -> auth.Registered:
    """`user add`: create (and maybe sign in) the account; with ADMIN, as an admin (checked first)."""
    if admin:
        check_may_make_admin(session)
    registered = auth.register(session, name=name, email=email, password=password)
    if admin and not registered.user.is_admin:
        registered = replace(registered, user=users_service.make_admin(session, registered.user.id))
    return registered
