"""`ishop4u demo`: the whole flow on a throwaway database."""

from __future__ import annotations


def demo() -> None:
    """Run the whole flow on a throwaway database in a temporary directory."""
    raise NotImplementedError
