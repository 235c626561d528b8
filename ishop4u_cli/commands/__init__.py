"""One thin Typer sub-app per command group: parse, call a service, render the result.

Help names parameters the way Click always has, never by their Python types:
Typer 0.29 writes `ITEM <list[str]>`, `{ITEM}...` and `--format <str>`; ishop4u's
help says `ITEM...` and `--format FORMAT`, in upper case (tests/test_help.py).
Typer is pinned below 0.30 (pyproject.toml), so these three small overrides stay true.
"""

from typer.core import TyperArgument, TyperOption


def _argument_name(self: TyperArgument) -> str:
    return self.metavar if self.metavar is not None else (self.name or "").upper()


def _argument_usage(self: TyperArgument) -> str:
    name = _argument_name(self) if self.required else f"[{_argument_name(self)}]"
    return name + ("..." if self.nargs != 1 else "")


def _argument_help_name(self: TyperArgument) -> str:
    return _argument_name(self) + ("..." if self.nargs != 1 else "")


_typer_option_display = TyperOption.display_type_rich


def _option_display(self: TyperOption, ctx: object) -> object:
    shown = _typer_option_display(self, ctx)
    if isinstance(shown, str) and shown.startswith("<"):  # a Python type: name the value instead
        return (self.name or "value").upper()
    return shown


TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment]
TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
TyperArgument._rich_display_name = _argument_help_name  # type: ignore[method-assign]
TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
TyperOption.display_type_rich = _option_display  # type: ignore[method-assign]
