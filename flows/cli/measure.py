"""``zhenggai measure``: one measure's schedule and an on-demand check."""

from __future__ import annotations

import typer

from flows.cli.app import app, make_app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, need_prefect

measure_app = make_app(
    "One measure: its cadence and an on-demand check.\n\n"
    'Example: [bold]zhenggai measure schedule XH-05-2 "每周一 09:00"[/bold]'
)
app.add_typer(measure_app, name="measure")


@measure_app.command("schedule")
def schedule(
    code: str = typer.Argument(..., help="The measure's code."),
    cadence: str | None = typer.Argument(
        None,
        help="每周一 09:00, 每月第一个工作日, 每季度末, 每个工作日, 每天, a cron or an RRULE; omit to show.",
    ),
    clear: bool = typer.Option(False, "--clear", help="Remove the measure's cadence."),
) -> None:
    """Set (or show) a measure's cadence; run `zhenggai sync` to update its deployment.

    Example: zhenggai measure schedule XH-05-2 "每周一上午9点"
    """
    from models.cadence import describe_cadence
    from tasks.ledger.cadence import read_cadence, set_cadence

    clock = cli_clock()
    with database().unit_of_work() as session:
        if cadence is None and not clear:
            text, feedback = read_cadence(session, code)
        else:
            text, feedback = set_cadence(
                session, code, None if clear else cadence, actor="cli", now=clock.now
            )
            session.commit()
    if text is None:
        console.print(f"{code}: no cadence")
        return
    console.print(f"{code}: {describe_cadence(text, clock, feedback_date=feedback)}")


@measure_app.command("check")
def check(code: str = typer.Argument(..., help="The measure's code.")) -> None:
    """Run the check_measure flow for one measure now (needs a Prefect API).

    Example: zhenggai measure check XH-07-1
    """
    from models.errors import UnknownMeasure
    from tasks.ledger.queries import live_measures

    # The ledger first: an unknown code (or a database that does not answer) is one line, before Prefect.
    with database().unit_of_work() as session:
        if not live_measures(session, measure_code=code):
            raise UnknownMeasure(f"no measure '{code}' in the ledger")

    need_prefect("measure check")
    from flows.check_measure import check_measure

    summary = check_measure(measure=code, trigger="manual")
    changed = "state recorded" if summary["changed"] else "no change"
    console.print(f"{code}: {summary['state']} ({summary['light']}), {changed}")
