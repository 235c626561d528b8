"""Whose link a cart line checks out with: a link that carries someone's affiliate id is that user's.

A product is one row per page, shared by everyone who adds that page, but the
link a user pasted (their own `?tag=`, a network deep link) is theirs alone: it
is kept on their cart line (cart_items.affiliate_link), and nobody else ever
checks out with it. The link of a line, first that applies:

1. the line's own link (the user pasted it), while it leads to the product's page;
2. the product's stored link, when this user created the product (it is the
   link they gave, or one built for them);
3. a link built from the source's tracking id and link template on the
   product's page (its normalized URL, or the page its stored link leads to):
   the same link the stored one is when nobody pasted it;
4. the stored link as it is, when it carries no affiliate id at all;
5. none: the only link known is someone else's affiliate redirect that names no
   page to build one from (an amzn.to short link); checkout says so.

Only links of the first two kinds can be the user's own (`personal`): those never
go into a store-cart link, which carries the source's tag instead.
No database and no network here: services/cart.py reads the rows, this decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from ishop4u_cli import stores
from ishop4u_cli.errors import UsageError

NO_LINK = (
    "its only link is another user's affiliate link, which names no page to build yours from "
    "(add the product's page yourself: ishop4u cart add URL)"
)


@dataclass(frozen=True)
class LineLink:
    url: str | None  # the link to buy with; None: no link this user may have
    personal: bool  # the user's own (pasted, or the stored link of a product they created)
    problem: str | None = None  # why there is no link


def carries_affiliate_id(url: str) -> bool:
    """True when URL carries someone's affiliate id (a tag, a network's redirect, a short link)."""
    try:
        return stores.store_for_url(url).has_affiliate_id(url)
    except (UsageError, ValueError):
        return True  # unreadable: never hand it to someone else


def build_page(canonical_url: str | None, stored_link: str) -> str | None:
    """The normalized page to build a link on: CANONICAL_URL, else the page STORED_LINK leads to.

    None when neither names a page free of an affiliate id (an amzn.to link is its own page).
    """
    for candidate in (canonical_url, stored_link):
        if not candidate:
            continue
        try:
            page = stores.normalize_url(candidate)
        except (UsageError, ValueError):
            continue
        if not carries_affiliate_id(page):
            return page
    return None


def built_link(page: str | None, *, tracking_id: str | None, link_template: str | None) -> str | None:
    """The link the source's tracking id and template build on PAGE (the page itself without them)."""
    if page is None:
        return None
    try:
        return stores.affiliate_link(page, tracking_id=tracking_id, link_template=link_template)
    except UsageError:
        return None


def line_link(
    *,
    user_id: int,
    own_link: str | None,
    stored_link: str,
    canonical_url: str | None,
    created_by: int | None,
    tracking_id: str | None,
    link_template: str | None,
) -> LineLink:
    """The link USER_ID checks out with for one cart line (the module's docstring says which)."""
    if own_link and _leads_to(own_link, canonical_url):
        return LineLink(own_link, personal=True)
    ours = built_link(
        build_page(canonical_url, stored_link), tracking_id=tracking_id, link_template=link_template
    )
    if created_by is not None and created_by == user_id:
        return LineLink(stored_link, personal=stored_link != ours)
    if ours is not None:
        return LineLink(ours, personal=False)
    if not carries_affiliate_id(stored_link):
        return LineLink(stored_link, personal=False)
    return LineLink(None, personal=False, problem=NO_LINK)


def _leads_to(link: str, canonical_url: str | None) -> bool:
    """True when LINK is a link to the page CANONICAL_URL (or the product has no page to compare):
    a line's own link stops counting once the product's page is changed (product edit --url)."""
    if canonical_url is None:
        return True
    try:
        return stores.normalize_url(link) == canonical_url
    except (UsageError, ValueError):
        return False


def own_link(
    pasted: str, *, canonical_url: str | None, tracking_id: str | None, link_template: str | None
) -> str | None:
    """What a cart line keeps of the link PASTED for its product: the link as products keep it
    (stores.affiliate_link), when it carries an affiliate id that is not the one the source builds;
    else None (a plain page, or the source's own link, is nobody's)."""
    if not carries_affiliate_id(pasted):
        return None
    try:
        kept = stores.affiliate_link(pasted, tracking_id=tracking_id, link_template=link_template)
    except UsageError:
        return None
    ours = built_link(build_page(canonical_url, pasted), tracking_id=tracking_id, link_template=link_template)
    return None if kept == ours else kept


def own_link_for_page(
    pasted: str | None, canonical_url: str, *, tracking_id: str | None, link_template: str | None
) -> str | None:
    """What a cart line keeps of PASTED (a cart file's `own_link`) for the page CANONICAL_URL, as
    own_link says; UsageError when it carries an affiliate id for another page."""
    if not pasted:
        return None
    checked = stores.check_url(pasted)
    if carries_affiliate_id(checked) and stores.normalize_url(checked) != canonical_url:
        raise UsageError(f"own_link {checked!r} is a link to another page than {canonical_url}")
    return own_link(
        checked, canonical_url=canonical_url, tracking_id=tracking_id, link_template=link_template
    )
