"""The root of the CLI: global options, the command groups, and errors turned into exit codes.

Start-up pays only for what the command line names. Only Typer is imported
here; a group's module is imported, and its commands' parameters built, when
that group is invoked (lazy sub-commands, as Click documents them), so
`ishop4u --help` lists every group from its help text alone and `ishop4u cart
...` never builds the other groups. Each command imports its service (and with
it SQLAlchemy) when it runs, and completion reads the database through
completion.py, so --help, --version and completion stay fast.
"""

import contextlib
import copy
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator, MutableMapping
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup
from typer.core import _TyperParameter as TyperParameter
from typer.main import get_command_from_info, get_command_name, get_group_from_info, solve_typer_info_defaults
from typer.models import CommandInfo, DefaultPlaceholder, TyperInfo

from ishop4u_cli import __version__, render, settings
from ishop4u_cli.context import AppState
from ishop4u_cli.errors import ExitCode, translate

# The commands of `ishop4u`, in the order its --help lists them: a group (the module's Typer `app`)
# or a single command (a function of the module).
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("ishop4u_cli.commands.demo", "demo"),
    "refresh": ("ishop4u_cli.commands.refresh", "refresh"),
    "user": ("ishop4u_cli.commands.user", "app"),
    "source": ("ishop4u_cli.commands.source", "app"),
    "product": ("ishop4u_cli.commands.product", "app"),
    "cart": ("ishop4u_cli.commands.cart", "app"),
    "checkout": ("ishop4u_cli.commands.checkout", "app"),
    "db": ("ishop4u_cli.commands.db", "app"),
}


# ---------------------------------------------------------------- cheaper coercion


class _Deferred:
    """Typer's coercion of a parameter, built only for a value that needs it.

    Typer 0.29 coerces every value through a pydantic TypeAdapter that it builds
    on first use, even for a value that was not given, and importing pydantic
    alone costs about 60 ms: `ishop4u cart --help` paid it for the root's --db and
    the help option. A value not given is None (or () for several), and a str or
    bool parameter given a str or bool keeps it, exactly as Typer's own coercion
    has it; any other value gets Typer's coercion, built then.
    """

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        several = param.multiple or param.nargs == -1
        if value is None:
            return () if several else None
        kind = param.type_descriptor.annotation
        plain = param.type_descriptor.parameter_info.parser is None and param.nargs == 1
        if not several and plain and kind in (str, bool) and type(value) is kind:
            return value
        param._runtime_param = None
        return _typer_runtime_param(param).coerce(value, param=param, ctx=ctx)


class _AsTyped:
    """Completion only: every value as typed. Nothing runs with them, and Typer's coercion
    would import pydantic; the completion callbacks read only --db, a str."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        return value


_typer_runtime_param = TyperParameter.get_runtime_param
_completing = False  # this process answers the shell's completion


def _runtime_param(param: Any) -> Any:
    if param._runtime_param is None:
        param._runtime_param = _AsTyped() if _completing else _Deferred()
    return param._runtime_param


# Every parameter's, help options included (Click makes those per command, when one is parsed).
TyperParameter.get_runtime_param = _runtime_param  # type: ignore[method-assign]


# ---------------------------------------------------------------- lazy sub-commands


class _Entry:
    """How to build one sub-command, and how to show it in a listing without building it."""

    def __init__(self, build: Callable[[], Any], outline: Callable[[], Any]) -> None:
        self.build, self.outline = build, outline


class _LazyCommands(MutableMapping):
    """A group's sub-commands by name (its `commands`), each built on first use."""

    def __init__(self, entries: dict[str, _Entry]) -> None:
        self._entries = entries
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._entries:
                raise KeyError(name)
            self._built[name] = self._entries[name].build()
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._entries.pop(name, None)
        del self._built[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._built if name not in self._entries)

    def __len__(self) -> int:
        return len(set(self._entries) | set(self._built))

    def outline(self, name: str) -> Any:
        """NAME's command if built, else a stand-in with its help."""
        if name in self._built or name not in self._entries:
            return self[name]
        return self._entries[name].outline()


def _built_like_typer() -> dict[str, Any]:
    return {"pretty_exceptions_short": app.pretty_exceptions_short, "rich_markup_mode": app.rich_markup_mode}


def _command(info: CommandInfo, name: str) -> _Entry:
    def outline() -> TyperCommand:
        doc = inspect.cleandoc(info.help) if info.help else inspect.getdoc(info.callback)
        return TyperCommand(
            name, help=doc, short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated
        )

    return _Entry(lambda: get_command_from_info(info, **_built_like_typer()), outline)


def _group(typer_app: typer.Typer, name: str) -> _Entry:
    """A sub-app as add_typer registers it, whose own commands are built on first use too."""

    def build() -> Any:
        options = {**_built_like_typer(), "suggest_commands": app.suggest_commands}
        if typer_app.registered_groups or not isinstance(typer_app.info.cls, DefaultPlaceholder):
            return get_group_from_info(TyperInfo(typer_app, name=name), **options)  # as Typer builds it
        bare = copy.copy(typer_app)  # the group itself, its options and callback; none of its commands
        bare.registered_commands = []
        group = get_group_from_info(TyperInfo(bare, name=name, cls=LazyGroup), **options)
        entries = {}
        for info in typer_app.registered_commands:
            command_name = info.name or get_command_name(info.callback.__name__)  # as Typer names it
            entries[command_name] = _command(info, command_name)
        group.commands = _LazyCommands(entries)
        return group

    def outline() -> TyperCommand:
        info = solve_typer_info_defaults(TyperInfo(typer_app, name=name))
        return TyperCommand(
            name, help=info.help, short_help=info.short_help, hidden=info.hidden, deprecated=info.deprecated
        )

    return _Entry(build, outline)


def _root_entry(name: str) -> _Entry:
    """COMMANDS[NAME], its module imported only when it is built or listed."""
    module, attribute = COMMANDS[name]

    def entry() -> _Entry:
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            return _group(target, name)
        return _command(CommandInfo(name=name, callback=target), name)

    return _Entry(lambda: entry().build(), lambda: entry().outline())


class LazyGroup(TyperGroup):
    """A group whose sub-commands are built when invoked; its help and its completion of
    command names list every one of them from their help texts, building none."""

    def _visible(self) -> list[tuple[str, Any]]:
        commands = self.commands
        if not isinstance(commands, _LazyCommands):
            return [(name, commands[name]) for name in commands if not commands[name].hidden]
        return [(name, cmd) for name in commands if not (cmd := commands.outline(name)).hidden]

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        commands = self._visible()
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            with formatter.section("Commands"):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in commands])

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        from typer._click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=cmd.get_short_help_str())
            for name, cmd in self._visible()
            if name.startswith(incomplete)
        ]
        return items + super(TyperGroup, self).shell_complete(ctx, incomplete)  # and the group's options


class IshopGroup(LazyGroup):
    """The root group: builds only the group a command line names, and is the one place
    where errors become a message and an exit code."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands({name: _root_entry(name) for name in COMMANDS})

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # `ishop4u cart list --db x` means `ishop4u --db x cart list`.
        return super().parse_args(ctx, settings.db_option_first(args))

    def _main_shell_completion(self, ctx_args: Any, prog_name: str, complete_var: str | None = None) -> None:
        var = complete_var or f"_{prog_name}_COMPLETE".replace("-", "_").upper()
        if not os.environ.get(var):
            return
        global _completing
        _completing = True
        _plain_help_in_shells()
        try:
            super()._main_shell_completion(ctx_args, prog_name, complete_var)  # exits
        finally:
            _completing = False

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


def _plain_help_in_shells() -> None:
    """Descriptions in zsh and fish exactly as written, without importing Rich.

    Typer renders every description as Rich markup (about 190 ms of imports, and a product
    named "[sale] mug" would lose its brackets); ishop4u's help is plain text (rich_markup_mode
    None). These are Typer's own zsh and fish formats with the text left as it is.
    """
    from typer._click.shell_completion import add_completion_class
    from typer._completion_classes import FishComplete, ZshComplete

    def one_line(text: str) -> str:
        return " ".join(text.split())

    class PlainZsh(ZshComplete):
        def format_completion(self, item: Any) -> str:
            def escape(s: str) -> str:
                return (
                    s.replace('"', '""')
                    .replace("'", "''")
                    .replace("$", "\\$")
                    .replace("`", "\\`")
                    .replace(":", r"\\:")
                )

            if item.help:
                return f'"{escape(item.value)}":"{escape(one_line(item.help))}"'
            return f'"{escape(item.value)}"'

    class PlainFish(FishComplete):
        def format_completion(self, item: Any) -> str:
            return f"{item.value}\t{one_line(item.help)}" if item.help else f"{item.value}"

    add_completion_class(PlainZsh, "zsh")
    add_completion_class(PlainFish, "fish")


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
            metavar="PATH_OR_URL",
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


def _silence_stdout() -> None:
    """The reader of stdout has gone (`ishop4u cart list | head -1`): send what is left to /dev/null.

    Python's documented cure (signal module, "Note on SIGPIPE"): without it the interpreter's
    final flush raises again and prints "Exception ignored ... BrokenPipeError".
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main() -> None:
    """The program, ending in SystemExit with its exit code (for tests and embedding: see run)."""
    try:
        try:
            code = app(prog_name="ishop4u")
        finally:
            sys.stdout.flush()  # output still buffered (stdout is a pipe) is written here, not at exit
    except BrokenPipeError:
        _silence_stdout()
        code = ExitCode.BROKEN_PIPE
    sys.exit(code or 0)


def run() -> None:
    """Console-script entry point: main(), then the process ends without the interpreter's teardown.

    Python frees every module and object one by one at exit: with SQLAlchemy, SQLModel, pydantic and
    Rich loaded that costs `cart list` about 100 ms. Nothing ishop4u needs happens there: each file
    it writes is closed by its with-block, the engine is disposed when the command ends, completion's
    reader is a daemon thread, no atexit handler is ours. ISHOP4U_DEBUG=1 keeps the ordinary exit.
    """
    try:
        main()
        code: Any = 0
    except SystemExit as done:
        code = 0 if done.code is None else done.code
    if settings.debug() or not isinstance(code, int):
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed by its reader since: nothing to say
            stream.flush()
    os._exit(int(code))
