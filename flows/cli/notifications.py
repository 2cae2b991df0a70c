"""``zhenggai notifications`` (the delivery log, re-sending failed messages) and ``zhenggai sweep``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from flows.cli.app import app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, local_time, need_prefect, parse_date_option, settings
from models.errors import MessagesFailed

STATUS_STYLE = {
    "sent": "green",
    "pending": "cyan",
    "held": "blue",
    "queued": "blue",
    "digested": "dim",
    "sending": "yellow",
    "failed": "bold red",
    "in_doubt": "bold magenta",
}


def _moment(value: str | None) -> datetime | None:
    """``--as-of``: a date (that day at the reminder hour, local) or an ISO date-time (local when naive)."""
    if value is None:
        return None
    zone = settings().clock().zone
    try:
        if len(value) == 10:
            return datetime.combine(
                datetime.fromisoformat(value).date(), settings().reminder_hour, tzinfo=zone
            )
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"'{value}' is neither a date (YYYY-MM-DD) nor a date-time (YYYY-MM-DDTHH:MM)",
            param_hint="--as-of",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@app.command("notifications")
def notifications(
    unit: str | None = typer.Option(None, "--unit", help="Only messages about this unit (unit code)."),
    status: str | None = typer.Option(
        None,
        "--status",
        help="Only this status: pending, held, queued, sending, sent, failed, in_doubt, digested.",
    ),
    day: str | None = typer.Option(
        None, "--date", help="Only messages due, tried or sent on this day (YYYY-MM-DD)."
    ),
    kind: str | None = typer.Option(
        None,
        "--kind",
        help="Only this kind: reminder, due_today, overdue, missing_report, escalation, digest.",
    ),
    measure: str | None = typer.Option(None, "--measure", help="Only messages about this measure."),
    limit: int = typer.Option(200, "--limit", help="Show at most this many (newest first)."),
    resend: bool = typer.Option(
        False,
        "--resend",
        help="Send the failed messages that match the filters again, now (not those in doubt, see --id).",
    ),
    ids: list[int] = typer.Option(
        [], "--id", help="With --resend: this message (its # in the log), even when in doubt; repeatable."
    ),
    include_in_doubt: bool = typer.Option(
        False, "--include-in-doubt", help="With --resend: also the messages in doubt (they may have arrived)."
    ),
    show_error: bool = typer.Option(False, "--errors", help="Show each message's last error in full."),
) -> None:
    """List the delivery log (recipients masked), or re-send failed messages with --resend.

    A message is in doubt (in_doubt) when the process sending it died during the send: it may have
    arrived, and the group bots cannot drop a repeat, so --resend leaves it unless named with --id
    (after asking the recipient) or --include-in-doubt.

    Example: zhenggai notifications --status failed --unit jiedao --resend
    """
    from models.enums import DeliveryStatus

    if status is not None and status not in {s.value for s in DeliveryStatus}:
        raise typer.BadParameter(
            f"'{status}' is not a status: {', '.join(s.value for s in DeliveryStatus)}", param_hint="--status"
        )
    when = parse_date_option(day, "--date")
    config = settings()
    db = database()
    if (ids or include_in_doubt) and not resend:
        raise typer.BadParameter("--id and --include-in-doubt choose what --resend sends: add --resend")
    if resend:
        _resend(db, config, unit=unit, day=when, ids=ids or None, include_in_doubt=include_in_doubt)
        return
    from rich.table import Table
    from rich.text import Text

    from tasks.notify.log import list_deliveries

    with db.unit_of_work() as session:
        rows = list_deliveries(
            session,
            cli_clock(),
            unit_code=unit,
            status=status,
            day=when,
            kind=kind,
            measure_code=measure,
            limit=limit,
        )
        table = Table(title="通知记录 · delivery log")
        for column in ("#", "类型", "措施", "单位", "接收方", "状态", "次数", "应发", "发送", "标题 / 错误"):
            table.add_column(column, overflow="fold")
        counts: dict[str, int] = {}
        for delivery, measure_code, unit_code in rows:
            state = delivery.status.value
            counts[state] = counts.get(state, 0) + 1
            note = Text(delivery.title)
            if delivery.error:
                note.append("\n" + (delivery.error if show_error else delivery.error[:120]), style="red")
            table.add_row(
                str(delivery.id),
                delivery.kind,
                measure_code or "—",
                unit_code or "—",
                delivery.recipient_masked,
                Text(state, style=STATUS_STYLE.get(state, "white")),
                str(delivery.attempts),
                local_time(delivery.due_at),
                local_time(delivery.sent_at),
                note,
            )
    console.print(table)
    console.print(f"{len(rows)} message(s): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


def _resend(
    db: Any, config: Any, *, unit: str | None, day: Any, ids: list[int] | None, include_in_doubt: bool
) -> None:
    from tasks.notify.log import in_doubt_count, resend
    from tasks.notify.outbox import deliver
    from tasks.notify.sender import AppriseSender

    clock = cli_clock()
    with db.unit_of_work() as session:
        chosen = resend(session, clock, ids=ids, unit_code=unit, day=day, include_in_doubt=include_in_doubt)
        session.commit()
        left = in_doubt_count(session, clock, unit_code=unit, day=day)
    if left:
        console.print(
            f"{left} message(s) in doubt left alone: they may have arrived. Ask the recipient; resend one with "
            "--resend --id N, or all of them with --include-in-doubt (see `zhenggai notifications --status "
            "in_doubt`)"
        )
    if not chosen:
        console.print("no failed message matches: nothing to re-send")
        return
    counts = deliver(
        db,
        AppriseSender(),
        chosen,
        now=clock.now,
        concurrency=config.delivery_concurrency,
        max_attempts=config.delivery_retries + 1,
    )
    failed = counts.retry + counts.failed
    console.print(
        f"re-sent {len(chosen)} message(s): sent {counts.sent}, failed again {failed} "
        "(those stay pending: the next sweep tries them again)"
        + (
            f", queued {counts.queued} (over their endpoint's rate limit: the next sweep sends them)"
            if counts.queued
            else ""
        )
    )
    if failed:
        raise MessagesFailed(
            f"{failed} of {len(chosen)} re-sent message(s) failed again: see zhenggai notifications --status failed"
        )


@app.command("sweep")
def sweep_command(
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge and send as of this date (reminder hour) or date-time; default now."
    ),
    round_code: str | None = typer.Option(None, "--round", help="Only this round."),
    digest: bool = typer.Option(False, "--digest", help="Also send this week's digest to every unit."),
) -> None:
    """Run the notification sweep now: plan reminders, chasing and escalations, record them, deliver what is due.

    Example: zhenggai sweep --as-of 2023-12-26 --digest
    """
    import json

    database()  # schema checked (and upgraded) before the flow starts, and before Prefect is imported
    moment = _moment(as_of)
    need_prefect("sweep")
    from flows.notify import digest as digest_flow
    from flows.notify import sweep

    results = [sweep(as_of=moment, round_code=round_code)]
    console.print_json(json.dumps(results[0], default=str))
    if digest:
        results.append(digest_flow(as_of=moment, round_code=round_code))
        console.print_json(json.dumps(results[-1], default=str))
    failed = sum(int(result.get("delivered", {}).get("failed", 0)) for result in results)
    if failed:
        raise MessagesFailed(f"sweep: {failed} message(s) failed: see zhenggai notifications --status failed")
