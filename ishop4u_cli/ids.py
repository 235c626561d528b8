"""The range an id can have: ids are INTEGER columns, PostgreSQL's 32-bit integer (standard library only).

An id outside it names no row on any backend; looking it up would make the database
raise (PostgreSQL: "integer out of range"; SQLite's driver: OverflowError past 64 bits)
instead of answering "not found".
"""

from __future__ import annotations

MAX_ID = 2**31 - 1


def in_range(value: int) -> bool:
    """True when VALUE could be the id of a stored row (1 to MAX_ID)."""
    return 1 <= value <= MAX_ID
