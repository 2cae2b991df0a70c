"""The root ``zhenggai`` Typer app and the error boundary shared by every command."""

from __future__ import annotations

import sys
from typing import Any

import click
import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from models.errors import ZhenggaiError


class ZhenggaiGroup(TyperGroup):
    """Turns a named domain error anywhere below into a message on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ZhenggaiError as error:
            _fail(error)
        except Exception as error:
            # A database that stops answering mid-command (or whose URL cannot be used) is one line too.
            converted = _database_failure(error) or _prefect_failure(error)
            if converted is None:
                raise
            _fail(converted)


# Each root command and the modules that register it, in the order ``zhenggai --help`` lists them (the
# commands, then the groups). Only the invoked command's modules are imported and only its command is
# built: ``zhenggai status`` pays for neither the other 23 commands' imports nor their option parsing.
# ``tests/e2e/test_cli.py`` checks this table against what the modules register.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "web": ("api",),
    "api": ("api",),
    "backup": ("backup",),
    "restore": ("backup",),
    "chart": ("chart",),
    "demo": ("demo",),
    "info": ("info",),
    "notifications": ("notifications",),
    "sweep": ("notifications",),
    "serve": ("serve",),
    "status": ("status",),
    "sync": ("sync",),
    "worker": ("worker",),
    "assess": ("assess",),
    "calendar": ("calendar",),
    "db": ("db",),
    "duban": ("duban",),
    "import": ("importers",),
    "ledger": ("ledger",),
    "measure": ("measure",),
    "notice": ("notice", "notice_drafts"),
    "plan": ("plan",),
    "report": ("report",),
    "review": ("review",),
    "token": ("token",),
}


class ZhenggaiRootGroup(ZhenggaiGroup):
    """The root ``zhenggai`` group: a command's module is imported, and its command built, when the command
    is first looked up (invoked, or listed by ``--help``)."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [
            *COMMAND_MODULES,
            *(name for name in super().list_commands(ctx) if name not in COMMAND_MODULES),
        ]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            command = _build_command(cmd_name)
            if command is not None:
                self.commands[cmd_name] = command
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in COMMAND_MODULES and args[0] not in self.commands:
            # A mistyped command: Typer suggests among the commands built, so build them all.
            for name in COMMAND_MODULES:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


def _build_command(name: str) -> Any:
    """Root command ``name`` as Typer would have built it with the whole app, after importing its modules."""
    import importlib

    import typer.main

    for module in COMMAND_MODULES[name]:
        importlib.import_module(f"flows.cli.{module}")
    for command_info in app.registered_commands:
        shown = command_info.name or typer.main.get_command_name(command_info.callback.__name__)  # type: ignore[union-attr]
        if shown == name:
            return typer.main.get_command_from_info(
                command_info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
    for group_info in app.registered_groups:
        if group_info.name == name:
            return typer.main.get_group_from_info(
                group_info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
                suggest_commands=app.suggest_commands,
            )
    return None


def _fail(error: ZhenggaiError) -> None:
    message = str(error)
    first, _, rest = message.partition("\n")
    click.secho(f"error: {first}", fg="red", err=True)
    if rest:
        click.echo(rest, err=True)
    sys.exit(1)


def _database_failure(error: Exception) -> ZhenggaiError | None:
    """``error`` as the one-line ``DatabaseUnavailable`` when it is about reaching the database."""
    if "sqlalchemy" not in sys.modules:
        return None
    from models.db import database_failure
    from models.settings import get_settings

    try:
        url = get_settings().resolved_database_url
    except Exception:  # settings that cannot be read say so themselves
        return None
    return database_failure(url, error)


def make_app(help_text: str, **kwargs: Any) -> typer.Typer:
    """A Typer (sub)command group with Zhenggai's conventions (``no_args_is_help`` may be turned off)."""
    options: dict[str, Any] = {
        "help": help_text,
        "cls": ZhenggaiGroup,
        "no_args_is_help": True,
        "pretty_exceptions_enable": False,
        "rich_markup_mode": "rich",
        "context_settings": {"help_option_names": ["-h", "--help"]},
    }
    options.update(kwargs)
    return typer.Typer(**options)


# Help shows words a user types (TEXT, PATH, DATE…), never Python's type names (<bool>, <list[Path]>);
# a flag that takes no value shows none.
_PLAIN_TYPES = {
    "str": "TEXT",
    "int": "INTEGER",
    "float": "NUMBER",
    "path": "PATH",
    "file": "FILE",
    "directory": "DIRECTORY",
    "datetime": "DATE",
    "date": "DATE",
    "uuid": "ID",
}


def _plain_type(self: Any, ctx: click.Context) -> str | None:
    if self.metavar is not None:
        return str(self.metavar)
    if getattr(self, "is_flag", False) or getattr(self, "count", False):
        return None
    shown = str(type(self).display_type(self, ctx)).strip("<>")
    inner = shown.removeprefix("list[").removesuffix("]").removesuffix(" range")
    if "|" in inner and "[" not in inner:  # a choice: its values, as typed
        label = inner
    elif "|" in inner:
        label = "DATE"
    else:
        label = _PLAIN_TYPES.get(inner.lower(), inner.upper())
    return label + ("…" if self.nargs != 1 else "")


TyperOption.display_type_rich = _plain_type  # type: ignore[method-assign,assignment]
TyperArgument.display_type_rich = _plain_type  # type: ignore[method-assign,assignment]


def _coerce_when_given() -> None:
    """Typer 0.29 builds a pydantic ``TypeAdapter`` for every option of the invoked command, given or not
    (importing pydantic's validators: about a tenth of ``zhenggai status``). Build it only for an option
    that has a value to coerce, and not for a plain text option, whose adapter returns the text as typed.
    Typer's own coercion, unchanged, does everything else; without these internals nothing is changed."""
    try:
        from dataclasses import dataclass

        from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
        from typer.core import _TyperParameter
    except ImportError:  # another Typer: its own behaviour
        return
    if not hasattr(_TyperParameter, "get_runtime_param"):
        return

    @dataclass(frozen=True)
    class CoercedWhenGiven(RuntimeParam):
        """Typer's runtime coercion of one parameter, built at its first value (None needs none)."""

        descriptor: TypeDescriptor

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is str and self.parameter_info.parser is None and type(value) is str:
                return value  # what Typer's adapter for text returns (``str(value)``)
            built = build_runtime_param(self.descriptor)
            param._runtime_param = built
            return built._coerce_value(value, param=param, ctx=ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            descriptor = self.type_descriptor
            self._runtime_param = CoercedWhenGiven(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                descriptor=descriptor,
            )
        return self._runtime_param

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]


_coerce_when_given()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            shown = version("zhenggai")
        except PackageNotFoundError:
            shown = "unknown (not installed)"
        click.echo(f"zhenggai {shown}")
        raise typer.Exit()


app = make_app(
    "整改 Zhenggai: track the rectification of inspection problems, remind and escalate, publish the notice.\n\n"
    "Example: [bold]zhenggai demo[/bold]",
    cls=ZhenggaiRootGroup,
)


def _prefect_failure(error: Exception) -> ZhenggaiError | None:
    """Prefect's own "cannot reach the API" errors (the temporary server that did not start, an API that
    went away mid-command) as one line; None for anything else."""
    if "prefect" not in sys.modules or not isinstance(error, RuntimeError):
        return None
    from models.errors import PrefectUnavailable

    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    if "ephemeral Prefect API server" in message:
        return PrefectUnavailable(
            f"{message}: the temporary local Prefect server did not start in time; raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start one (prefect server start) and set "
            "PREFECT_API_URL"
        )
    if message.startswith("Failed to reach API at"):
        return PrefectUnavailable(f"{message}: is the Prefect server running? check PREFECT_API_URL")
    return None


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """整改 Zhenggai: track the rectification of inspection problems, remind and escalate, publish the notice.

    Example: zhenggai demo
    """
