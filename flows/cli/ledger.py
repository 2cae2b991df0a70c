"""``zhenggai ledger``: the Excel 整改台账, exported and imported."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, make_app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, err_console, parse_date_option

ledger_app = make_app(
    "The Excel 整改台账: one row per measure, for printing and editing.\n\n"
    "Example: [bold]zhenggai ledger export --round xinhua-2023-xc2 -o 台账.xlsx[/bold]"
)
app.add_typer(ledger_app, name="ledger")


@ledger_app.command("export")
def export(
    round_code: str = typer.Option(..., "--round", help="The round's code."),
    output: Path = typer.Option(..., "-o", "--output", help="The .xlsx file to write."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Lights and latest progress as of this date (default: today)."
    ),
) -> None:
    """Write a round's 台账: 序号, 反馈问题, 整改措施, owners, 完成时限, latest progress, 状态 and the light.

    Example: zhenggai ledger export --round xinhua-2023-xc2 -o 台账.xlsx
    """
    from flows.cli.common import database, today
    from tasks.exchange.excel_export import export_ledger

    day = parse_date_option(as_of, "--as-of") or today()
    with database().unit_of_work() as session:
        count = export_ledger(session, round_code, output, cli_clock().on(day))
    console.print(f"wrote {output}: {count} measures of {round_code} as of {day.isoformat()}", soft_wrap=True)


@ledger_app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The 台账 workbook (.xlsx)."),
    round_code: str | None = typer.Option(
        None, "--round", help="The round it belongs to (default: the 轮次编号 on the workbook's 说明 sheet)."
    ),
    allow_unassigned: bool = typer.Option(False, help="Accept rows without a 责任单位."),
) -> None:
    """Read a 台账 back into the round's ledger: everything is checked first, errors name their cells.

    Rows are matched to measures by the hidden 措施编号 column (rows without one by text, then place, else
    they are new); measures missing from the sheet are marked removed. 整改进展（最新） and 红黄绿灯 are not read.

    Example: zhenggai ledger import 台账.xlsx --round xinhua-2023-xc2
    """
    from flows.cli.common import database
    from tasks.exchange.excel_import import import_ledger

    with database().unit_of_work() as session:
        result, changes = import_ledger(
            session, file, cli_clock(), round_code=round_code, allow_unassigned=allow_unassigned
        )
        session.commit()
    if result.sheet.ignored_columns:
        err_console.print(f"ignored columns: {'、'.join(result.sheet.ignored_columns)}", soft_wrap=True)
    console.print(f"{file}: {changes.summary()}", soft_wrap=True)
    for bucket in ("added", "changed", "removed"):
        codes = getattr(changes, bucket).get("measures", [])
        if codes:
            console.print(f"  measures {bucket}: {', '.join(codes)}", soft_wrap=True)
