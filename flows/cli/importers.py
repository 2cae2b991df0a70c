"""``zhenggai import``: read a published notice back into a ledger."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli.app import app, make_app
from flows.cli.common import (
    ALLOW_REMOVALS_HELP,
    DRY_RUN_HELP,
    TAKE_PLAN_HELP,
    console,
    err_console,
    parse_date_option,
    print_changes,
)
from flows.cli.common import clock as cli_clock

if TYPE_CHECKING:
    from tasks.exchange.notice_import import NoticeImport

import_app = make_app(
    "Import a ledger from documents the bureau already has.\n\n"
    "Example: [bold]zhenggai import notice notice.txt --round xinhua-2023-xc2 -o plan.yaml[/bold]"
)
app.add_typer(import_app, name="import")


def read_text_file(path: Path) -> str:
    """A text file as UTF-8 (with or without BOM), else GB18030; an ``InvalidPlan`` naming it otherwise."""
    from tasks.exchange.notice_source import decode_text, read_file

    return decode_text(read_file(path), str(path))


@import_app.command("notice")
def notice(
    file: Path = typer.Argument(
        ..., help="The notice: plain text (.txt, UTF-8 or GB18030), Word (.docx) or a saved web page (.html)."
    ),
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
        help="Date of the reports made from the outcomes (default: the notice's date, else the page's "
        "publication date, else today).",
    ),
    issuer: str | None = typer.Option(
        None, "--issuer", help="The issuing organisation, if the notice lacks it."
    ),
    inspecting_body: str | None = typer.Option(
        None,
        "--inspecting-body",
        help="The inspecting body (区委第二巡察组), if the notice does not name it.",
    ),
    inspection_start: str | None = typer.Option(
        None, "--inspection-start", help="The inspection's first day (YYYY-MM-DD), if the notice lacks it."
    ),
    inspection_end: str | None = typer.Option(
        None, "--inspection-end", help="The inspection's last day (YYYY-MM-DD), if the notice lacks it."
    ),
    feedback_date: str | None = typer.Option(
        None,
        "--feedback-date",
        help="The day the problems were fed back (YYYY-MM-DD), if the notice lacks it.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail when any line cannot be placed."),
    take_plan: list[str] = typer.Option([], "--take-plan", metavar="FIELD", help=TAKE_PLAN_HELP),
    allow_removals: bool = typer.Option(False, "--allow-removals", help=ALLOW_REMOVALS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP + " (with --load)"),
) -> None:
    """Parse a published progress notice into a plan: round, problems, measures and one report per measure.

    Reads .txt, .docx (its paragraphs and a ledger table) and .html (the article of a saved page), chosen
    by the file's extension. Measures get no owner (the notice does not name them): fill in lead_unit
    before `plan load`, or load them unassigned with --load. Lines that cannot be placed are listed with
    their line (or paragraph) numbers. A date the notice does not state is asked for (--feedback-date…):
    the plan is still written, with the field empty, and only --load needs it. Loading into a round the
    ledger holds keeps what the ledger gained since, refuses to remove owners, deadlines, cadences or
    measures without --allow-removals, and records no report twice; --dry-run shows the diff first.

    Example: zhenggai import notice notice.txt --round xinhua-2023-xc2 --reported-on 2023-12-15 -o plan.yaml
    """
    from flows.cli.common import settings, today
    from tasks.exchange.notice_import import RoundFacts, import_notice
    from tasks.exchange.notice_parser import parse_source
    from tasks.exchange.notice_source import read_notice_file

    given = RoundFacts(
        inspected_org=issuer,
        inspecting_body=inspecting_body,
        inspection_start=parse_date_option(inspection_start, "--inspection-start"),
        inspection_end=parse_date_option(inspection_end, "--inspection-end"),
        feedback_date=parse_date_option(feedback_date, "--feedback-date"),
    )
    day = parse_date_option(reported_on, "--reported-on")
    source = read_notice_file(file)
    if day is None:
        parsed = parse_source(source)
        day = parsed.notice_date or parsed.published or today()
    result = import_notice(
        source,
        source=str(file),
        round_code=round_code,
        code_prefix=code_prefix,
        reported_on=day,
        timezone=settings().timezone,
        strict=strict,
        given=given,
    )
    _summary(file, result, day)
    if dry_run and not load:
        raise typer.BadParameter(
            "--dry-run shows what --load would change: give both", param_hint="--dry-run"
        )
    if load:
        result.complete_plan()  # a missing fact refuses the load before anything is written
    if not dry_run:
        _write(result, output, reports_output)
    if load:
        from flows.cli.common import load_database
        from tasks.exchange.notice_import import load_notice

        db = load_database(dry_run=dry_run)
        with db.unit_of_work() as session:
            loaded = load_notice(
                session,
                result,
                cli_clock(db=db),
                take_plan=take_plan,
                allow_removals=allow_removals or dry_run,
            )
            if not dry_run:
                session.commit()
        owners = (
            f"; owner units from the notice's table: {len(loaded.owners_assigned)}" if result.owners else ""
        )
        verb = "dry run, nothing written: would load" if dry_run else "loaded"
        console.print(
            f"{verb} {result.round_code}: {loaded.changes.summary()}; reports: {loaded.reports_recorded} "
            f"recorded, {loaded.reports_already_recorded} already recorded{owners}",
            soft_wrap=True,
        )
        print_changes(file, loaded.changes, dry_run=dry_run, summary=False)
    elif output is None and reports_output is None:
        typer.echo(result.plan_yaml(), nl=False)
        typer.echo("---")
        typer.echo(result.reports_yaml(), nl=False)


def _summary(file: Path, result: NoticeImport, day: date) -> None:
    """What was read, on standard error: counts, facts asked for, lines not placed, owners missing."""
    from tasks.exchange.notice_import import FACT_OPTIONS, missing_fact_message

    parsed = result.notice
    measures = sum(len(p.measures) for p in parsed.problems)
    err_console.print(
        f"{file}: round {result.round_code}, {len(parsed.problems)} problems, {measures} measures, "
        f"reports dated {day}",
        soft_wrap=True,
    )
    for name in result.missing:
        err_console.print(f"  {missing_fact_message(name)}", soft_wrap=True)
    for name, value in result.replaced.items():
        err_console.print(f"  {FACT_OPTIONS[name][0]} replaces the notice's {value}", soft_wrap=True)
    for item in result.leftovers:
        err_console.print(f"  not placed: {item}", soft_wrap=True)
    if result.unassigned:
        err_console.print(
            f"  {len(result.unassigned)} measures have no owner unit: {', '.join(result.unassigned)}",
            soft_wrap=True,
        )


def _write(result: NoticeImport, output: Path | None, reports_output: Path | None) -> None:
    if output is not None:
        output.write_text(result.plan_yaml(), encoding="utf-8")
        reports_path = reports_output or output.with_name(f"{output.stem}.reports.yaml")
        reports_path.write_text(result.reports_yaml(), encoding="utf-8")
        console.print(f"wrote {output} and {reports_path}")
    elif reports_output is not None:
        reports_output.write_text(result.reports_yaml(), encoding="utf-8")
        console.print(f"wrote {reports_output}")
