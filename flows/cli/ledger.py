"""``zhenggai ledger``: the Excel 整改台账, exported and imported."""

from __future__ import annotations

from pathlib import Path

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

ledger_app = make_app(
    "The Excel 整改台账: one row per measure, for printing and editing.\n\n"
    "Example: [bold]zhenggai ledger export --round xinhua-2023-xc2 -o 台账.xlsx[/bold]"
)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("export")
def export(
    round_code: str | None = typer.Option(
        None, "--round", help="The round's code (default: the only round loaded)."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="The .xlsx file to write."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Lights and latest progress as of this date (default: today)."
    ),
) -> None:
    """Write a round's 台账: 序号, 反馈问题, 整改措施, owners, 完成时限, latest progress, 状态 and the light.

    Example: zhenggai ledger export --round xinhua-2023-xc2 -o 台账.xlsx
    """
    from flows.cli.common import database, the_round, today
    from tasks.exchange.excel_export import export_ledger

    day = parse_date_option(as_of, "--as-of") or today()
    db = database()
    code = the_round(db, round_code)
    with db.unit_of_work() as session:
        count = export_ledger(session, code, output, cli_clock(db=db).on(day))
    console.print(f"wrote {output}: {count} measures of {code} as of {day.isoformat()}", soft_wrap=True)


@ledger_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The 台账 workbook (.xlsx)."),
    round_code: str | None = typer.Option(
        None, "--round", help="The round it belongs to (default: the 轮次编号 on the workbook's 说明 sheet)."
    ),
    allow_unassigned: bool = typer.Option(False, help="Accept rows without a 责任单位."),
    take_plan: list[str] = typer.Option([], "--take-plan", metavar="FIELD", help=TAKE_PLAN_HELP),
    allow_removals: bool = typer.Option(False, "--allow-removals", help=ALLOW_REMOVALS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Read a 台账 back into the round's ledger: everything is checked first, errors name their cells.

    Rows are matched to measures by the hidden 措施编号 column (rows without one by text, then place, else
    they are new); measures missing from the sheet are marked removed. 整改进展（最新） and 红黄绿灯 are not read.
    What the ledger gained since (a 状态 a unit or reviewer reached, a field changed in the ledger) is kept
    and listed; removing owners, deadlines, cadences or measures needs --allow-removals.

    Example: zhenggai ledger import 台账.xlsx --round xinhua-2023-xc2
    """
    from flows.cli.common import database
    from tasks.exchange.excel_import import import_ledger

    db = database()
    with db.unit_of_work() as session:
        result, changes = import_ledger(
            session,
            file,
            cli_clock(db=db),
            round_code=round_code,
            allow_unassigned=allow_unassigned,
            take_plan=take_plan,
            allow_removals=allow_removals or dry_run,
        )
        if not dry_run:
            session.commit()
    if result.sheet.ignored_columns:
        err_console.print(f"ignored columns: {'、'.join(result.sheet.ignored_columns)}", soft_wrap=True)
    print_changes(file, changes, dry_run=dry_run)
