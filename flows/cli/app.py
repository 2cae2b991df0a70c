"""The root ``zhenggai`` Typer app and the error boundary shared by every command."""

from __future__ import annotations

import sys
from typing import Any

import click
import typer
from typer.core import TyperGroup

from models.errors import ZhenggaiError


class ZhenggaiGroup(TyperGroup):
    """Turns a named domain error anywhere below into a message on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except ZhenggaiError as error:
            message = str(error)
            first, _, rest = message.partition("\n")
            click.secho(f"error: {first}", fg="red", err=True)
            if rest:
                click.echo(rest, err=True)
            sys.exit(1)


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


app = make_app(
    "整改 Zhenggai: track the rectification of inspection problems, remind and escalate, publish the notice.\n\n"
    "Example: [bold]zhenggai demo[/bold]"
)
