"""``zhenggai report``: record units' progress reports."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, make_app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, settings

report_app = make_app(
    "Progress reports (进展) from units.\n\nExample: [bold]zhenggai report add --measure XH-05-2 --text '…'[/bold]"
)
app.add_typer(report_app, name="report")


def _metric(value: str) -> tuple[str, str, str]:
    """``宣传信发放=40000份`` → (name, number, unit)."""
    import re

    name, sep, rest = value.partition("=")
    match = re.match(r"^\s*(-?\d+(?:\.\d+)?)\s*(\S*)\s*$", rest)
    if not sep or not name.strip() or match is None:
        raise typer.BadParameter(
            f"'{value}' is not NAME=NUMBER[UNIT], e.g. 宣传信发放=40000份", param_hint="--metric"
        )
    return name.strip(), match.group(1), match.group(2)


@report_app.command("add")
def add(
    measure: str = typer.Option(..., "--measure", help="The measure's code."),
    text: str = typer.Option(..., "--text", help="What was done (the text the notice will quote)."),
    unit: str | None = typer.Option(None, "--unit", help="Reporting unit's code (default: the lead unit)."),
    done: bool = typer.Option(False, "--done", help="Claim the measure complete (awaits review and 销号)."),
    period: str | None = typer.Option(
        None, "--period", help="Period covered, START..END (2023-12-01..2023-12-15)."
    ),
    metric: list[str] = typer.Option([], "--metric", help="A figure, NAME=NUMBER[UNIT]; repeatable."),
    author: str = typer.Option("", "--author", help="Who writes the report."),
    evidence: list[Path] = typer.Option(
        [], "--evidence", exists=True, dir_okay=False, help="An evidence file (台账); repeatable."
    ),
) -> None:
    """Record a unit's progress report on a measure.

    Example: zhenggai report add --measure XH-08-1 --text '发放宣传一封信40000余份。' --metric 宣传信=40000份
    """
    from pydantic import ValidationError

    from flows.intake import submit_report
    from models.enums import ReportStatus
    from tasks.reports.evidence import stage_paths
    from tasks.reports.record import MetricInput, ReportInput, parse_period

    try:
        start, end = parse_period(period)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--period") from None
    try:
        metrics = [MetricInput(name=n, value=v, unit=u) for n, v, u in (_metric(m) for m in metric)]
    except ValidationError as error:
        problem = error.errors()[0]
        raise typer.BadParameter(f"{problem['loc'][-1]}: {problem['msg']}", param_hint="--metric") from None
    data = ReportInput(
        measure=measure,
        unit=unit,
        text=text,
        claimed_status=ReportStatus.DONE if done else ReportStatus.IN_PROGRESS,
        period_start=start,
        period_end=end,
        author=author,
        metrics=metrics,
        source="cli",
    )
    config = settings()
    staged = stage_paths(
        config.evidence_dir,
        evidence,
        max_bytes=config.evidence_max_bytes,
        allowed_types=config.evidence_allowed_types,
    )
    summary = submit_report(database(), data, actor="cli", clock=cli_clock(), staged=staged)
    console.print(f"recorded report #{summary['id']} on {measure} ({summary['measure_status']})")
    for item in summary["evidence"]:
        console.print(f"  evidence {item['filename']}: sha256 {item['sha256']}")


@report_app.command("load")
def load(file: Path = typer.Argument(..., help="A reports YAML file (see docs/plan-format.md).")) -> None:
    """Record every report of a reports file; those already recorded are skipped.

    Example: zhenggai report load examples/xinhua-2023/reports.yaml
    """
    from flows.cli.common import LoadProgress
    from tasks.reports.record import load_reports_file

    db = database()
    with db.unit_of_work() as session, LoadProgress(f"{file.name}: recording") as bar:
        result = load_reports_file(session, file, cli_clock(db=db), progress=bar.start)
        session.commit()
    console.print(f"{file}: {result.recorded} recorded, {result.already_recorded} already recorded")
