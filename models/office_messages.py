"""Messages to the coordinator's office about the installation rather than a measure: next year's holiday
arrangement not imported yet (once a week from 1 November), a scheduled run that failed or crashed.

Pure: each planned message carries its idempotency key (``models.notifications.message_key``), so that
planning again the same week (the calendar) or for the same run records nothing new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from models.clock import Clock
from models.enums import MessageKind
from models.notifications import PlannedMessage, Policy, Recipient, message_key, next_allowed
from models.workdays import CalendarWarning


def _office_messages(
    recipients: Sequence[Recipient],
    *,
    kind: MessageKind,
    subject: str,
    period: str,
    template: str,
    context: dict[str, Any],
    clock: Clock,
    policy: Policy,
) -> list[PlannedMessage]:
    due_at = next_allowed(clock, policy)
    return [
        PlannedMessage(
            key=message_key(subject, kind, recipient, index, period),
            kind=kind,
            template=template,
            context={**context, "recipient": recipient.person, "_held": due_at > clock.now},
            recipient=recipient,
            url_index=index,
            due_at=due_at,
            unit_id=recipient.unit_id,
        )
        for recipient in recipients
        for index, _url in enumerate(recipient.urls)
    ]


def plan_calendar_warning(
    warning: CalendarWarning, recipients: Sequence[Recipient], clock: Clock, policy: Policy
) -> list[PlannedMessage]:
    """The week's message saying that ``warning.year`` has no official working days, and how to add them."""
    return _office_messages(
        recipients,
        kind=MessageKind.CALENDAR,
        subject=f"calendar-{warning.year}",
        period=warning.week,
        template="calendar_missing",
        context={"title": warning.title, "body": warning.body, "command": warning.command},
        clock=clock,
        policy=policy,
    )


def plan_run_failed(
    run: dict[str, str], recipients: Sequence[Recipient], clock: Clock, policy: Policy
) -> list[PlannedMessage]:
    """One message per failed or crashed run (``run``: id, name, deployment, state, url)."""
    return _office_messages(
        recipients,
        kind=MessageKind.RUN_FAILED,
        subject=f"run-{run['deployment'] or run['name']}"[:120],
        period=run["id"],
        template="run_failed",
        context=dict(run),
        clock=clock,
        policy=policy,
    )
