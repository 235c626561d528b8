"""The root of the CLI: global options, the command groups, and errors turned into exit codes.

Only Typer is imported at start-up; each command imports its service (and with
it SQLAlchemy) when it runs, so --help, --version and completion stay fast.
"""

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ishop4u_cli import __version__, render, settings
from ishop4u_cli.context import AppState
from ishop4u_cli.errors import ExitCode, translate


class IshopGroup(TyperGroup):
    """The root group: the one place where errors become a message and an exit code."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # `ishop4u cart list --db x` means `ishop4u --db x cart list`.
        return super().parse_args(ctx, settings.db_option_first(args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # Typer's own exits and usage errors (exit 2)
        except BrokenPipeError:
            _silence_stdout()
            raise typer.Exit(ExitCode.BROKEN_PIPE) from None
        except KeyboardInterrupt:
            render.error("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            if settings.debug():
                raise
            mapped = translate(exc)
            if mapped is None:
                render.error(
                    f"unexpected {type(exc).__name__}: {exc} "
                    f"(run again with {settings.ENV_DEBUG}=1 for the traceback)"
                )
                raise typer.Exit(ExitCode.ERROR) from None
            render.error(str(mapped))
            raise typer.Exit(mapped.exit_code) from None
        finally:
            obj = ctx.obj
            if isinstance(obj, AppState):
                obj.close()


app = typer.Typer(
    cls=IshopGroup,
    name="ishop4u",
    help="One shopping cart across many stores, with affiliate links for checkout.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        render.out(f"ishop4u {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: a file path or a SQLAlchemy URL. "
            "Default: $ISHOP4U_DATABASE_URL, else ishop4u.db in the user data directory.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = False,
) -> None:
    """One shopping cart across many stores, with affiliate links for checkout."""
    ctx.obj = AppState(db_option=db)


def _register() -> None:
    from ishop4u_cli.commands import cart, checkout, demo, product, source, user
    from ishop4u_cli.commands import db as db_commands

    app.add_typer(user.app, name="user")
    app.add_typer(source.app, name="source")
    app.add_typer(product.app, name="product")
    app.add_typer(cart.app, name="cart")
    app.add_typer(checkout.app, name="checkout")
    app.add_typer(db_commands.app, name="db")
    app.command("demo")(demo.demo)


_register()


def _silence_stdout() -> None:
    """The reader of stdout has gone (`ishop4u cart list | head -1`): send what is left to /dev/null.

    Python's documented cure (signal module, "Note on SIGPIPE"): without it the interpreter's
    final flush raises again and prints "Exception ignored ... BrokenPipeError".
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main() -> None:
    """Console-script entry point."""
    try:
        try:
            code = app(prog_name="ishop4u")
        finally:
            sys.stdout.flush()  # output still buffered (stdout is a pipe) is written here, not at exit
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.BROKEN_PIPE
    sys.exit(code or 0)
