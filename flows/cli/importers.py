"""``zhenggai import``: read a published notice back into a ledger."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, err_console, parse_date_option

import_app = make_app(
    "Import a ledger from documents the bureau already has.\n\n"
    "Example: [bold]zhenggai import notice notice.txt --round xinhua-2023-xc2 -o plan.yaml[/bold]"
)
app.add_typer(import_app, name="import")


def read_text_file(path: Path) -> str:
    """A text file as UTF-8 (with or without BOM), else GB18030; an ``InvalidPlan`` naming it otherwise."""
    from models.errors import InvalidPlan, PlanIssue

    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidPlan([PlanIssue(str(path), "", f"cannot read: {error.strerror}")]) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidPlan([PlanIssue(str(path), "", "neither UTF-8 nor GB18030 text")])


@import_app.command("notice")
def notice(
    file: Path = typer.Argument(..., help="The notice as plain text (UTF-8 or GB18030)."),
    round_code: str | None = typer.Option(
        None,
        "--round",
        help="Code of the round to create (default: the file's name or notice-<feedback date>).",
    ),
    code_prefix: str | None = typer.Option(
        None, "--code-prefix", help="Measure codes are PREFIX-<problem>-<n> (default: the round code)."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="Write the plan YAML here (reports go to <name>.reports.yaml beside it)."
    ),
    reports_output: Path | None = typer.Option(None, "--reports-output", help="Write the reports YAML here."),
    load: bool = typer.Option(False, "--load", help="Load the plan and its reports into the database."),
    reported_on: str | None = typer.Option(
        None,
        "--reported-on",
        help="Date of the reports made from the outcomes (default: the notice's date, else today).",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail when any line cannot be placed."),
) -> None:
    """Parse a published progress notice into a plan: round, problems, measures and one report per measure.

    Measures get no owner (the notice does not name them): fill in lead_unit before `plan load`, or load
    them unassigned with --load. Lines that cannot be placed are listed with their line numbers.

    Example: zhenggai import notice notice.txt --round xinhua-2023-xc2 --reported-on 2023-12-15 -o plan.yaml
    """

    from flows.cli.common import settings, today
    from tasks.exchange.notice_import import import_notice_text
    from tasks.exchange.notice_parser import parse_notice

    text = read_text_file(file)
    day = parse_date_option(reported_on, "--reported-on")
    if day is None:
        day = parse_notice(text).notice_date or today()
    result = import_notice_text(
        text,
        source=str(file),
        round_code=round_code,
        code_prefix=code_prefix,
        reported_on=day,
        timezone=settings().timezone,
        strict=strict,
    )
    parsed = result.notice
    measures = sum(len(p.measures) for p in parsed.problems)
    err_console.print(
        f"{file}: round {result.plan.round.code}, {len(parsed.problems)} problems, {measures} measures, "
        f"reports dated {day.isoformat()}",
        highlight=False,
        soft_wrap=True,
    )
    for item in result.leftovers:
        err_console.print(
            f"  not placed: line {item.line}: {item.reason}: {item.text}",
            highlight=False,
            soft_wrap=True,
        )
    if result.unassigned:
        err_console.print(
            f"  {len(result.unassigned)} measures have no owner unit: {', '.join(result.unassigned)}",
            soft_wrap=True,
        )

    if output is not None:
        output.write_text(result.plan_yaml(), encoding="utf-8")
        reports_path = reports_output or output.with_name(f"{output.stem}.reports.yaml")
        reports_path.write_text(result.reports_yaml(), encoding="utf-8")
        console.print(f"wrote {output} and {reports_path}")
    elif reports_output is not None:
        reports_output.write_text(result.reports_yaml(), encoding="utf-8")
        console.print(f"wrote {reports_output}")
    if load:
        from flows.cli.common import database
        from tasks.exchange.notice_import import load_notice

        with database().unit_of_work() as session:
            loaded = load_notice(session, result, settings().clock())
            session.commit()
        console.print(
            f"loaded {result.plan.round.code}: {loaded.changes.summary()}; reports: {loaded.reports_recorded} "
            f"recorded, {loaded.reports_already_recorded} already recorded",
            soft_wrap=True,
        )
    elif output is None and reports_output is None:
        typer.echo(result.plan_yaml(), nl=False)
        typer.echo("---")
        typer.echo(result.reports_yaml(), nl=False)
