"""Changing sources: adding, editing and removing them, all an admin's (services/permissions.py).

A source's name, tracking id, link template and base URL make every user's
checkout links, so each change here names the user making it (`by`) and is
refused (NotAllowed, exit 10, nothing written) unless they are an admin. The
one exception is `bare_source`, a bare source (a name, nothing that makes a
link) that `cart import` creates for the items of an export from another
database.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from ishop4u_cli import stores
from ishop4u_cli.errors import Conflict, UsageError
from ishop4u_cli.services import permissions
from ishop4u_cli.services.sources import (
    Source,
    SourceSummary,
    affiliate_link_for,
    find_source,
    get_source,
    summary,
)
from ishop4u_cli.services.users import Account
from ishop4u_cli.stores import urls
from ishop4u_cli.tables import products, sources
from ishop4u_cli.text import one_line

NAME_MAX = 100
FIELD_NAMES = {
    "name": "name",
    "api_name": "api name",
    "base_url": "base URL",
    "tracking_id": "tag",
    "link_template": "link template",
}


@dataclass(frozen=True)
class EditResult:
    source: Source
    changed: list[str]
    relinked: int  # products whose affiliate link was rebuilt from the new tag or template


# ---------------------------------------------------------------- checks


def clean_name(name: str) -> str:
    cleaned = one_line(name)
    if not cleaned:
        raise UsageError("a source needs a name")
    if len(cleaned) > NAME_MAX:
        raise UsageError(f"a source name has at most {NAME_MAX} characters: {name!r}")
    return cleaned


def _one_word(value: str, what: str, *, lower: bool = False) -> str | None:
    """VALUE without surrounding blanks (LOWER: in lower case), when it is one word of at most
    NAME_MAX characters; '' is None."""
    cleaned = value.strip().lower() if lower else value.strip()
    if not cleaned:
        return None
    if any(ch.isspace() for ch in cleaned) or len(cleaned) > NAME_MAX:
        raise UsageError(f"{what} is one word of at most {NAME_MAX} characters: {value!r}")
    return cleaned


def clean_api_name(api_name: str) -> str | None:
    """Lower case, no spaces ('' clears it)."""
    return _one_word(api_name, "an api name", lower=True)


def clean_base_url(base_url: str) -> str | None:
    """An http(s) URL ('' clears it)."""
    if not base_url.strip():
        return None
    try:
        return stores.check_url(base_url)
    except stores.CredentialsInUrl:
        raise
    except UsageError:
        raise UsageError(f"not a base URL (http or https with a host): {base_url!r}") from None


def clean_tracking_id(tag: str) -> str | None:
    return _one_word(tag, "a tracking id")


def clean_link_template(template: str) -> str | None:
    """An http(s) URL with a {url} placeholder (and maybe {tracking_id}); '' clears it."""
    if not template.strip():
        return None
    return urls.check_link_template(template)


def check_template_uses_tag(tracking_id: str | None, link_template: str | None) -> None:
    """UsageError when a source has a tracking id its link template would silently leave out."""
    if tracking_id and link_template and "{tracking_id}" not in link_template:
        raise UsageError(
            f"link template {link_template!r} has no {{tracking_id}} placeholder for the tag "
            f"{tracking_id!r}: add it where the network wants your id, or clear the tag (--tag '')"
        )


def _check_unique(session: Session, *, names: list[str], except_id: int | None) -> None:
    """Conflict when any of NAMES is already some other source's name or api_name."""
    keys = sorted({n.lower() for n in names if n})
    if not keys:
        return
    stmt = sa.select(sources.c.id, sources.c.name).where(
        sa.or_(sa.func.lower(sources.c.name).in_(keys), sa.func.lower(sources.c.api_name).in_(keys))
    )
    if except_id is not None:
        stmt = stmt.where(sources.c.id != except_id)
    row = session.exec(stmt).first()
    if row is not None:
        taken = ", ".join(repr(n) for n in names if n)
        raise Conflict(f"a source already uses {taken}: {row.name!r} (id {row.id})")


# ---------------------------------------------------------------- changes


def add_source(
    session: Session,
    *,
    by: Account,
    name: str,
    api_name: str | None = None,
    base_url: str | None = None,
    tracking_id: str | None = None,
    link_template: str | None = None,
) -> Source:
    """`source add`, by an admin (BY): a new source; Conflict when its name or api_name is taken."""
    permissions.require_admin(session, by, "add a source")
    return _create(
        session,
        name=name,
        api_name=api_name,
        base_url=base_url,
        tracking_id=tracking_id,
        link_template=link_template,
    )


def bare_source(session: Session, name: str) -> Source:
    """A new source with NAME only (no tag, template or base URL: nothing that makes a link).

    For `cart import`, whose items may name a source of another database; any
    signed-in user's import may create one. Conflict when the name is taken.
    """
    return _create(session, name=name)


def _create(
    session: Session,
    *,
    name: str,
    api_name: str | None = None,
    base_url: str | None = None,
    tracking_id: str | None = None,
    link_template: str | None = None,
) -> Source:
    """A new source; Conflict when its name or api_name is taken (any case). Its link template,
    when given, is checked as `source edit` checks it."""
    name = clean_name(name)
    api = clean_api_name(api_name) if api_name is not None else None
    url = clean_base_url(base_url) if base_url is not None else None
    tag = clean_tracking_id(tracking_id) if tracking_id is not None else None
    template = clean_link_template(link_template) if link_template is not None else None
    check_template_uses_tag(tag, template)
    _check_unique(session, names=[name, api or ""], except_id=None)
    new_id = session.exec(
        sa.insert(sources)
        .values(name=name, api_name=api, base_url=url, tracking_id=tag, link_template=template)
        .returning(sources.c.id)
    ).scalar_one()
    return get_source(session, new_id)


def edit_source(
    session: Session,
    ident: str,
    *,
    by: Account,
    name: str | None = None,
    api_name: str | None = None,
    base_url: str | None = None,
    tracking_id: str | None = None,
    link_template: str | None = None,
) -> EditResult:
    """Change what is given ('' clears the optional fields).

    A link template must be an http(s) URL with {url}, and {tracking_id} when the
    source has a tag (checked whenever either is given; UsageError, nothing written).
    When the tracking id or link template changes, the products of this source
    whose affiliate link we built from the old ones get a link built from the
    new ones; links the user gave (carrying their own affiliate id) stay.
    Only an admin (BY) may change a source, any of its fields.
    """
    old = find_source(session, ident)
    values: dict[str, str | None] = {}
    if name is not None:
        values["name"] = clean_name(name)
    if api_name is not None:
        values["api_name"] = clean_api_name(api_name)
    if base_url is not None:
        values["base_url"] = clean_base_url(base_url)
    if tracking_id is not None:
        values["tracking_id"] = clean_tracking_id(tracking_id)
    if link_template is not None:
        values["link_template"] = clean_link_template(link_template)
    if not values:
        raise UsageError("nothing to change: give --name, --api-name, --base-url, --tag or --link-template")
    permissions.require_admin(session, by, f"change a source's {_what(values)}")
    if "tracking_id" in values or "link_template" in values:
        check_template_uses_tag(
            values.get("tracking_id", old.tracking_id), values.get("link_template", old.link_template)
        )
    changed = [FIELD_NAMES[key] for key, value in values.items() if getattr(old, key) != value]
    _check_unique(
        session,
        names=[values.get("name") or "", values.get("api_name") or ""],
        except_id=old.id,
    )
    if changed:
        session.exec(sa.update(sources).where(sources.c.id == old.id).values(**values))
    new = get_source(session, old.id)
    relinked = 0
    if (old.tracking_id, old.link_template) != (new.tracking_id, new.link_template):
        relinked = _relink(session, old, new)
    return EditResult(new, changed, relinked)


def _what(values: dict[str, str | None]) -> str:
    names = [FIELD_NAMES[key] for key in values]
    if "tracking_id" in values:  # the option is --tag, the column the tracking id
        names[names.index("tag")] = "tracking id"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _relink(session: Session, old: Source, new: Source) -> int:
    """Rebuild the links we built for OLD's products with NEW's tag and template."""
    rows = session.exec(
        sa.select(products.c.id, products.c.canonical_url, products.c.affiliate_link).where(
            products.c.affiliate_source_id == old.id, products.c.canonical_url.is_not(None)
        )
    ).all()
    updates = []
    for row in rows:
        try:
            if row.affiliate_link != affiliate_link_for(row.canonical_url, old):
                continue  # the user's own link: kept as given
            link = affiliate_link_for(row.canonical_url, new)
        except UsageError:
            continue  # a stored URL we cannot read: leave it alone
        if link != row.affiliate_link:
            updates.append({"pid": row.id, "link": link})
    if updates:
        session.exec(
            sa.update(products)
            .where(products.c.id == sa.bindparam("pid"))
            .values(affiliate_link=sa.bindparam("link")),
            params=updates,
        )
    return len(updates)


def removal_of(session: Session, ident: str, *, by: Account) -> SourceSummary:
    """What `source remove` would delete, for its question; NotAllowed first unless BY is an admin."""
    found = summary(session, find_source(session, ident))
    permissions.require_admin(session, by, "remove a source")
    return found


def remove_source(session: Session, source_id: int, *, by: Account) -> SourceSummary:
    """Delete the source; its products and their cart items go with it (ON DELETE CASCADE). Admins only."""
    found = summary(session, get_source(session, source_id))
    permissions.require_admin(session, by, "remove a source")
    session.exec(sa.delete(sources).where(sources.c.id == source_id))
    return found
