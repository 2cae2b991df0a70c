"""``zhenggai duban``: the 督办单 escalation steps 蓝/黄/红 issued (list, show one, write its Word file)."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, database, settings

NUMBER_HELP = "The sheet's number: 督办〔2026〕12号 (or 〔2026〕12号, 2026-12)."

duban_app = make_app(
    "督办单: the supervision sheets each escalation step 蓝/黄/红 issues, numbered per year.\n\n"
    "Example: [bold]zhenggai duban list[/bold]"
)
app.add_typer(duban_app, name="duban")


@duban_app.command("list")
def list_(
    round_code: str | None = typer.Option(None, "--round", help="Only this round's sheets (its code)."),
) -> None:
    """List the 督办单 issued, oldest first: number, colour, measure, unit, how far behind.

    Example: zhenggai duban list --round xinhua-2023-xc2
    """
    from models.duban import summary_line
    from tasks.ledger.duban import list_sheets

    with database().unit_of_work() as session:
        sheets = list_sheets(session, round_code)
    if not sheets:
        console.print("尚无督办单")
        return
    for facts in sheets:
        console.print(summary_line(facts))


@duban_app.command("show")
def show(number: str = typer.Argument(..., help=NUMBER_HELP)) -> None:
    """Show a 督办单's text: title, number, addressee, facts, requirement, reply deadline, signature.

    Example: zhenggai duban show 督办〔2026〕1号
    """
    from models.duban import sheet_text, title
    from models.rules import format_chinese_date
    from tasks.notice.duban_files import sheet_file_name
    from tasks.reports.duban import standing_of

    with database().unit_of_work() as session:
        standing = standing_of(session, number)
    facts = standing.facts
    console.print(title(facts))
    console.print(facts.number)
    for paragraph in sheet_text(facts):
        console.print(paragraph)
    console.print(facts.issuer)
    console.print(format_chinese_date(facts.issued_on))
    zone = settings().clock()
    year, serial = (int(part) for part in standing.ref.split("-"))
    for fmt in standing.formats:
        console.print(f"文件：{sheet_file_name(year, serial, fmt)}（数据目录下）")
    ack = standing.acknowledged
    console.print(f"签收：{_moment(zone, ack.at)} {ack.unit or ack.actor}" if ack else "签收：未签收")
    for reply in standing.replies:
        by = f"见第{reply.report_id}号进展报告 " if reply.report_id else ""
        console.print(f"回复：{_moment(zone, reply.at)} {reply.unit or reply.actor}：{by}{reply.text}")
    if not standing.replies:
        console.print(f"回复：未回复（回复时限{format_chinese_date(facts.reply_by)}）")


def _moment(clock: object, moment: object) -> str:
    """A moment as the office reads it: 2024年1月4日 10:05 in the configured zone."""
    from datetime import datetime

    from models.clock import Clock
    from models.rules import format_chinese_date

    assert isinstance(clock, Clock) and isinstance(moment, datetime)
    local = clock.local(moment)
    return f"{format_chinese_date(local.date())} {local:%H:%M}"


@duban_app.command("docx")
def docx(
    number: str = typer.Argument(..., help=NUMBER_HELP),
    output: Path = typer.Option(..., "--output", "-o", help="The Word file to write (.docx)."),
) -> None:
    """Write a 督办单 as a one-page Word file in the notice's GB/T 9704 layout.

    Example: zhenggai duban docx 督办〔2026〕1号 -o duban-1.docx
    """
    from tasks.ledger.duban import find_sheet
    from tasks.notice.duban_docx import render_duban_docx
    from tasks.notice.files import write_notice_file

    with database().unit_of_work() as session:
        facts = find_sheet(session, number)
    write_notice_file(output, render_duban_docx(facts, timezone=settings().timezone))
    console.print(f"{facts.number} → {output}")


@duban_app.command("pdf")
def pdf(
    number: str = typer.Argument(..., help=NUMBER_HELP),
    output: Path = typer.Option(..., "--output", "-o", help="The PDF file to write (.pdf)."),
) -> None:
    """Write a 督办单 as a one-page PDF (its Word file converted by LibreOffice, which must be installed).

    Example: zhenggai duban pdf 督办〔2026〕1号 -o duban-1.pdf
    """
    from tasks.ledger.duban import find_sheet
    from tasks.notice.duban_docx import render_duban_docx
    from tasks.notice.files import write_notice_file
    from tasks.notice.pdf import docx_to_pdf

    with database().unit_of_work() as session:
        facts = find_sheet(session, number)
    config = settings()
    content = docx_to_pdf(render_duban_docx(facts, timezone=config.timezone), fonts_dir=config.fonts_dir)
    write_notice_file(output, content)
    console.print(f"{facts.number} → {output}")
