"""Rendering planned messages to values (subject and body) from the Jinja2 templates in ``tasks/notify/templates``.

A template's first line is the subject, the rest the body. Moments are shown in the context's
``timezone`` (``Settings.timezone``, put there by the planner): ``{{ moment | cnmoment(timezone) }}``. Rendering happens when a message is
recorded, so a held, retried or re-sent message carries exactly the text it was planned with.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from models.notifications import PlannedMessage
from models.rules import chinese_ordinal, format_chinese_date

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).parent / "templates"


def _cndate(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()
    return format_chinese_date(value)


def _cnmoment(value: datetime | None, timezone: str) -> str:
    """An aware moment as local date and time in ``timezone`` (templates pass the context's ``timezone``)."""
    if value is None:
        return "—"
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(timezone))
    return f"{format_chinese_date(value.date())}{value:%H:%M}"


def _ordinal(n: int) -> str:
    return f"{chinese_ordinal(n)}、" if n else ""


@lru_cache(maxsize=1)
def environment() -> Environment:
    # imported here: most checks plan no message, and Jinja2 is a tenth of a second of every check's import
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # plain text and markdown, not HTML
    )
    env.filters["cndate"] = _cndate
    env.filters["cnmoment"] = _cnmoment
    env.filters["ordinal"] = _ordinal
    return env


def render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of ``template``.j2 rendered with ``context``."""
    text = environment().get_template(f"{template}.j2").render(**context)
    title, _, body = text.strip().partition("\n")
    return title.strip(), body.strip() + "\n"


def render_message(message: PlannedMessage) -> tuple[str, str]:
    return render(message.template, message.context)
