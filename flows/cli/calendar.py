"""``zhenggai calendar``: the official working days: import a year's arrangement, show a year, see coverage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, database, err_console, settings, today

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.workdays import ChinaCalendar

calendar_app = make_app(
    "The working-day calendar: holidays and 调休 days, per year.\n\n"
    "Example: [bold]zhenggai calendar import 2027.txt --dry-run[/bold]"
)
app.add_typer(calendar_app, name="calendar")


def _calendar(session: Session) -> ChinaCalendar:
    """The calendar every rule uses: imported years over chinesecalendar's, then the configured fallback."""
    from tasks.calendar.ledger import ledger_calendar

    return ledger_calendar(session, settings())


@calendar_app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., help="The State Council's notice as text (.txt, UTF-8 or GB18030) or the YAML form (.yaml)."
    ),
    year: int | None = typer.Option(None, "--year", help="The year, when the file's title names none."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Read, compare and show; store nothing."),
    by: str = typer.Option("cli", "--by", help="Who imports (kept in the history)."),
) -> None:
    """Import a year's holidays and 调休 working days from 国务院办公厅关于20XX年部分节假日安排的通知.

    The year's earlier import is replaced (and kept in the history). What is stored and every day
    chinesecalendar decides otherwise are printed. A line that cannot be read is an error naming it:
    nothing is stored.

    Example: zhenggai calendar import 2027.txt --dry-run
    """
    from datetime import UTC, datetime

    from flows.cli.common import local_time
    from flows.cli.importers import read_text_file
    from models.holiday_arrangement import package_version
    from tasks.calendar.files import arrangement_format, read_arrangement
    from tasks.calendar.ledger import ImportRecord, preview_import, record_arrangement
    from tasks.calendar.show import describe_arrangement, describe_differences

    source_format = arrangement_format(str(file))
    text = read_text_file(file)
    arrangement = read_arrangement(text, source=str(file), year=year)
    holidays, workdays = arrangement.holiday_days(), arrangement.workday_days()
    console.print(
        f"{file}: {arrangement.year}年, {len(arrangement.holidays)} holiday periods, "
        f"{len(holidays)} 日 off, {len(workdays)} 调休 working days"
    )
    for line in describe_arrangement(arrangement):
        console.print(line)
    stored: ImportRecord | None = None
    with database().unit_of_work() as session:
        if dry_run:
            preview = preview_import(session, arrangement)
        else:
            recorded = record_arrangement(
                session,
                arrangement,
                source_name=file.name,
                source_format=source_format,
                source_text=text,
                imported_by=by,
                now=datetime.now(UTC),
            )
            session.commit()
            preview, stored = recorded.preview, recorded.record
    package = f"chinesecalendar {package_version()}"
    if preview.package is None:
        console.print(
            f"{package} has no data for {arrangement.year}: this import is the year's official calendar"
        )
    elif not preview.package:
        console.print(f"{package} agrees day by day")
    else:
        err_console.print(
            f"warning: {package} decides {len(preview.package)} day(s) otherwise; the import counts:"
        )
        for line in describe_differences(preview.package, "chinesecalendar", "imported"):
            err_console.print(line)
    if preview.previous is not None:
        previous = preview.previous
        console.print(
            f"replaces import #{previous.id} of {local_time(previous.imported_at)} by {previous.imported_by} "
            f"({previous.source_name}): {len(preview.changes)} day(s) change"
        )
        for line in describe_differences(preview.changes, "was", "now"):
            console.print(line)
    if stored is None:
        console.print(f"dry run: nothing stored for {arrangement.year}")
    else:
        console.print(
            f"stored {arrangement.year} as import #{stored.id}: {len(holidays)} 日 off, "
            f"{len(workdays)} 调休 working days"
        )
        console.print(
            "the next sync re-registers the schedules on these days (EXDATE/RDATE up to the end of "
            f"{arrangement.year}): run `zhenggai sync` now, or the housekeeping sync does at 07:30"
        )


@calendar_app.command("show")
def show(year: int = typer.Argument(..., help="The year, e.g. 2027.")) -> None:
    """Print a year month by month: 休 days off, 班 调休 working days, ? provisional answers.

    A year without official data (neither imported nor in chinesecalendar) is shown as the fallback
    computes it, every holiday marked provisional.

    Example: zhenggai calendar show 2027
    """
    from dataclasses import replace

    from models.workdays import CalendarSource
    from tasks.calendar.show import render_year

    with database().unit_of_work() as session:
        calendar = _calendar(session)
    if calendar.source(year) is CalendarSource.MISSING:
        err_console.print(
            f"{year} has no official data and ZHENGGAI_CALENDAR_FALLBACK=error: dates in {year} cannot be "
            "computed until its notice is imported; shown: the holidays fixed by law"
        )
        calendar = replace(calendar, fallback="statutory")
    for line in render_year(calendar, year):
        console.print(line)


@calendar_app.command("status")
def status() -> None:
    """Which years are official (from chinesecalendar or imported) and which are provisional, with the imports.

    Example: zhenggai calendar status
    """
    from rich.table import Table

    from flows.cli.common import local_time
    from models.holiday_arrangement import package_version, package_years
    from models.workdays import missing_calendar_warning
    from tasks.calendar.ledger import compare_imported_with_package, import_history
    from tasks.calendar.show import SOURCE_LABEL

    day = today()
    with database().unit_of_work() as session:
        calendar = _calendar(session)
        history = import_history(session)
        compared = compare_imported_with_package(session)
    packaged = sorted(package_years())
    table = Table(title="Working-day calendar")
    for column in ("year", "source", "detail"):
        table.add_column(column)
    imported = sorted(calendar.imported_years())
    plain = [y for y in packaged if y not in imported]
    replaced = [y for y in imported if y in packaged]
    if plain:
        table.add_row(
            f"{plain[0]}–{plain[-1]}" if len(plain) > 1 else str(plain[0]),
            SOURCE_LABEL[calendar.source(plain[0])],
            f"chinesecalendar {package_version()}"
            + (f" (replaced by imports: {', '.join(map(str, replaced))})" if replaced else ""),
        )
    for year in imported:
        latest = next(h for h in history if h.year == year)
        differences = compared.get(year)
        against = (
            "chinesecalendar has no data"
            if differences is None
            else (
                "agrees with chinesecalendar"
                if not differences
                else f"{len(differences)} day(s) differ from chinesecalendar"
            )
        )
        table.add_row(
            str(year),
            SOURCE_LABEL[calendar.source(year)],
            f"import #{latest.id} {local_time(latest.imported_at)} by {latest.imported_by} from {latest.source_name}; "
            f"{latest.holidays} 日 off, {latest.workdays} 调休 days; {against}",
        )
    last = calendar.last_published_year()
    for year in range(last + 1, max(last, day.year + 1) + 1):
        table.add_row(
            str(year), SOURCE_LABEL[calendar.source(year)], "import the State Council's notice when published"
        )
    console.print(table)
    earlier = [h for h in history if h is not next(x for x in history if x.year == h.year)]
    if earlier:
        console.print("earlier imports (replaced):")
        for h in earlier:
            console.print(
                f"  {h.year}: import #{h.id} {local_time(h.imported_at)} by {h.imported_by} from {h.source_name}"
            )
    warning = missing_calendar_warning(day, calendar)
    if warning is not None:
        err_console.print(f"warning: {warning.title}: {warning.body}")
