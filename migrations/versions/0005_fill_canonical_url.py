"""Products: fill the normalized URL of rows that have none, so that adding their page again finds them.

Rows from an adopted seed database (and any row stored before 0004 gave
products a `canonical_url`) have none, so `product add` of the same page made
a second product. Each such row's `affiliate_link` is normalized exactly as
`product add` normalizes a URL (`ishop4u_cli.stores.normalize_url`, imported
from the package: the wheel ships the migrations inside it) and stored as its
`canonical_url`.

Rows are filled in id order. Where two rows normalize to the same URL, both
rows are kept and the later one's `canonical_url` stays empty (the unique
index allows one row per URL): adding that page finds the earlier row. The
same holds when the URL already belongs to a row that had a `canonical_url`
before this migration: that row keeps it, the row being filled stays empty.
A link that is not a readable product URL (not http(s), no host, credentials
in it) also leaves `canonical_url` empty. Nothing else is changed.

The downgrade changes nothing: a filled `canonical_url` is valid at 0004 too.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 2000

products = sa.table(
    "products",
    sa.column("id", sa.Integer()),
    sa.column("affiliate_link", sa.Text()),
    sa.column("canonical_url", sa.Text()),
)


def _normalized(link: str | None) -> str | None:
    from ishop4u_cli import stores
    from ishop4u_cli.errors import UsageError

    if not link:
        return None
    try:
        return stores.normalize_url(link)
    except (UsageError, ValueError):
        return None


def upgrade() -> None:
    conn = op.get_bind()
    fill = (
        sa.update(products)
        .where(products.c.id == sa.bindparam("row_id"))
        .values(canonical_url=sa.bindparam("url"))
    )
    last_id = None
    while True:
        query = (
            sa.select(products.c.id, products.c.affiliate_link)
            .where(products.c.canonical_url.is_(None))
            .order_by(products.c.id)
            .limit(CHUNK)
        )
        if last_id is not None:
            query = query.where(products.c.id > last_id)
        rows = conn.execute(query).all()
        if not rows:
            return
        last_id = rows[-1].id
        wanted: dict[str, int] = {}  # normalized URL -> the earliest row in this chunk that has it
        for row_id, link in rows:
            url = _normalized(link)
            if url is not None and url not in wanted:
                wanted[url] = row_id
        taken = {
            url
            for (url,) in conn.execute(
                sa.select(products.c.canonical_url).where(products.c.canonical_url.in_(list(wanted)))
            )
        }
        updates = [{"row_id": rid, "url": url} for url, rid in wanted.items() if url not in taken]
        if updates:
            conn.execute(fill, updates)


def downgrade() -> None:
    pass
