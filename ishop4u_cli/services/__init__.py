"""The domain: no Typer, no Rich. Functions take a Session, return models or dataclasses,
and raise errors from ishop4u_cli.errors."""
