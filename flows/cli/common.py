"""Helpers shared by CLI commands: settings, the database, dates and console output."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from models.db import Database
    from models.settings import Settings

# Output carries units' own text (reports, measure texts): never read it as Rich markup (a "[/…]" in a
# report would crash the command). Style goes through ``rich.text.Text`` where it is wanted.
console = Console(markup=False, highlight=False, soft_wrap=True)
err_console = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def settings() -> Settings:
    from models.settings import get_settings

    return get_settings()


def database() -> Database:
    """The configured database, upgraded (or refused) when its schema is behind."""
    from models.db import get_database

    return get_database(settings())


def need_prefect(command: str, *, local_server: bool = True) -> None:
    """Before ``command`` talks to Prefect: with PREFECT_API_URL set but not answering, one line naming
    the URL and exit 1 (``PrefectUnavailable``, no retries); without it, one stderr line saying that the
    flow runs on Prefect's temporary local server (``local_server``)."""
    from models.errors import PrefectUnavailable
    from tasks.reports.intake import configured_prefect_api_url, prefect_api_problem

    problem = prefect_api_problem()
    if problem is not None:
        raise PrefectUnavailable(f"{command}: {problem}")
    if local_server and configured_prefect_api_url() is None:
        err_console.print(
            f"{command}: no PREFECT_API_URL set, running on a temporary local Prefect server "
            "(see docs/deploying.md)"
        )


def today() -> date:
    """Today in the configured timezone."""
    return settings().clock().today


def parse_date_option(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option value, or a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date (YYYY-MM-DD)", param_hint=option) from None


def local_time(moment: datetime | None) -> str:
    """A stored UTC timestamp as the configured zone shows it: 2023-12-15 12:40 (— for none)."""
    if moment is None:
        return "—"
    return settings().clock().local(moment).strftime("%Y-%m-%d %H:%M")
