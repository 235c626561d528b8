"""ishop4u: one shopping cart across many stores."""

__version__ = "0.1.0"
