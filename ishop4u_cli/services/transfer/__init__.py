"""Bulk work: products imported from CSV or JSON Lines, carts exported and imported.

Every import is one transaction, all or nothing: rows are read as a stream,
checked with the same rules as `product add` / `cart add` (services.products,
services.cart, money, stores), and written in chunks with bulk INSERT
statements (one executemany per chunk, never an ORM object per row). The
first bad row raises a UsageError naming its row, and the transaction rolls
back, so nothing is written. No product page is fetched during an import.

Products are the same when their normalized URLs are (the rule of
`product add`): a row whose product is already stored, or repeats an earlier
row of the same file, adds nothing and is counted as such; the stored product
is left as it is.

The modules, one job each: inputs (the file or stdin), formats (CSV, JSON
Lines, values in a row), bulk (chunks, source lookups, bulk SQL, the retried
transaction), products (product import), cart (cart export's columns, cart import), imports
(each import as one call: input, progress, transaction).
"""

from ishop4u_cli.services.transfer.bulk import CHUNK_ROWS, run_import
from ishop4u_cli.services.transfer.cart import (
    CART_COLUMNS,
    CART_SUFFIXES,
    CartImport,
    cart_rows,
    import_cart,
)
from ishop4u_cli.services.transfer.formats import Row, choose_format
from ishop4u_cli.services.transfer.imports import Imported, ProgressBar, import_cart_file, import_product_file
from ishop4u_cli.services.transfer.inputs import Input, Progress, open_input
from ishop4u_cli.services.transfer.products import (
    PRODUCT_COLUMNS,
    PRODUCT_SUFFIXES,
    ProductImport,
    import_products,
    product_rows,
)

__all__ = [
    "CART_COLUMNS",
    "CART_SUFFIXES",
    "CHUNK_ROWS",
    "PRODUCT_COLUMNS",
    "PRODUCT_SUFFIXES",
    "CartImport",
    "Imported",
    "Input",
    "ProductImport",
    "Progress",
    "ProgressBar",
    "Row",
    "cart_rows",
    "choose_format",
    "import_cart",
    "import_cart_file",
    "import_product_file",
    "import_products",
    "open_input",
    "product_rows",
    "run_import",
]
