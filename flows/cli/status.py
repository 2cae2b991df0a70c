"""``zhenggai status``: where every measure stands, with its light."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli.app import app
from flows.cli.common import clock as cli_clock
from flows.cli.common import (
    console,
    cycle_collection_paused,
    database,
    local_time,
    parse_date_option,
    today,
)

if TYPE_CHECKING:
    from rich.text import Text
    from sqlalchemy.orm import Session

    from models.clock import Clock
    from models.measure_view import MeasureView
    from models.review_steps import ClaimStage

LIGHT_STYLE = {"green": "green", "yellow": "yellow", "red": "bold red"}
LIGHT_DOT = {"green": "● 绿", "yellow": "● 黄", "red": "● 红"}
PROVISIONAL_NOTE = (
    "（暂定）: working days counted on the calendar's fallback (a year without official data); "
    "import the State Council's notice: zhenggai calendar import FILE (see zhenggai calendar status)"
)


@app.command("status")
def status(
    round_code: str | None = typer.Option(None, "--round", help="Only this round."),
    unit: str | None = typer.Option(
        None,
        "--unit",
        help="Only measures this unit leads (unit code; a collective's member: its collective's too).",
    ),
    problem: int | None = typer.Option(None, "--problem", help="Only this problem (1 for 一、)."),
    state: str | None = typer.Option(
        None,
        "--state",
        help="Only this state: on_track, due_soon, due_today, overdue, missing_report, done, closed.",
    ),
    measure: str | None = typer.Option(None, "--measure", help="One measure in detail, with its schedule."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge as of this date (YYYY-MM-DD); default today."
    ),
    output_format: str | None = typer.Option(
        None,
        "--format",
        help="table (a terminal's default), plain (one line a measure: the default in a pipe), "
        "tsv or json (for programs), xlsx (for Excel: needs --output).",
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write to this file instead (xlsx: required)."
    ),
) -> None:
    """Show every measure with owner, deadline, state and traffic light (红黄绿灯).

    Example: zhenggai status --round xinhua-2023-xc2 --unit jiedao --as-of 2023-12-29
    """
    with cycle_collection_paused():
        _status(round_code, unit, problem, state, measure, as_of, output_format, output)


def _status(
    round_code: str | None,
    unit: str | None,
    problem: int | None,
    state: str | None,
    measure: str | None,
    as_of: str | None,
    output_format: str | None,
    output: Path | None,
) -> None:
    """``status`` with its options as given."""
    from models.rules import MeasureState
    from tasks.ledger.queries import measure_views

    day = parse_date_option(as_of, "--as-of") or today()
    if state is not None and state not in {s.value for s in MeasureState}:
        raise typer.BadParameter(
            f"'{state}' is not a state: {', '.join(s.value for s in MeasureState)}", param_hint="--state"
        )
    if output_format is None:
        output_format = "table" if output is None and console.is_terminal else "plain"
    if output_format not in FORMATS:
        raise typer.BadParameter(
            f"'{output_format}' is not a format: {', '.join(FORMATS)}", param_hint="--format"
        )
    if output_format == "xlsx" and output is None:
        raise typer.BadParameter(
            "xlsx needs --output FILE (e.g. --output status.xlsx)", param_hint="--format"
        )
    clock = cli_clock().on(day)
    with database().unit_of_work() as session:
        from models.errors import NoLedger
        from tasks.ledger.queries import round_codes

        if not round_codes(session):
            from flows.cli.common import LOAD_HINT

            raise NoLedger(f"no plan is loaded in this ledger yet: {LOAD_HINT}")
        rows = measure_views(
            session,
            clock,
            round_code=round_code,
            unit_code=unit,
            problem_ordinal=problem,
            measure_code=measure,
        )
        stage = _claim_stage(session, rows[0]) if measure is not None and rows else None
    if measure is not None:
        if not rows:
            from models.errors import UnknownMeasure

            raise UnknownMeasure(f"no measure '{measure}'")
        _show_measure(rows[0], clock, stage)
        return
    if state is not None:
        rows = [row for row in rows if row.state.value == state]
    if output_format != "table":
        try:
            _write_rows(rows, clock, output_format, output)
        except OSError as error:  # a directory that does not exist, a file not writable
            from flows.cli.common import err_console

            err_console.print(f"cannot write {output}: {error.strerror or error}", soft_wrap=True)
            raise typer.Exit(1) from None
        return
    _print_table(rows, day)


def _print_table(rows: list[MeasureView], day: date) -> None:
    """The Rich table, for a terminal: one line per measure, the text cut to the width."""
    from rich.cells import cell_len
    from rich.table import Table

    lines = [_line(row) for row in rows]
    table = Table(title=f"整改进展 · {day.isoformat()}", show_lines=False)
    headers = COLUMNS
    widths = [
        max([cell_len(header)] + [cell_len(str(line[index])) for line in lines])
        for index, header in enumerate(headers)
    ]
    # Only the measure's text gives way on a narrow terminal: one line per measure, always.
    borders = 3 * len(headers) + 1
    widths[1] = max(6, min(widths[1], console.width - borders - sum(widths) + widths[1]))
    for header, width in zip(headers, widths, strict=True):
        table.add_column(header, no_wrap=True, overflow="ellipsis", width=width)
    for line in lines:
        table.add_row(*line)
    console.print(table)
    _print_progress(rows)
    console.print(_summary(rows))
    if any(row.provisional for row in rows):
        console.print(PROVISIONAL_NOTE)


FORMATS = ("table", "plain", "tsv", "json", "xlsx")
COLUMNS = ("措施", "整改措施", "责任单位", "完成时限", "状态", "灯")


def _summary(rows: list[MeasureView]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.light.value] = counts.get(row.light.value, 0) + 1
    return f"{len(rows)} measures · 绿 {counts.get('green', 0)} · 黄 {counts.get('yellow', 0)} · 红 {counts.get('red', 0)}"


def _cells(row: MeasureView) -> tuple[str, str, str, str, str, str]:
    """One measure's cells as plain text (``COLUMNS``), safe for a terminal."""
    from models.text import terminal_text

    code, text, owner, deadline, state_text, light = _line(row, styled=False)
    return (
        terminal_text(code),
        terminal_text(text),
        terminal_text(owner),
        deadline,
        state_text,
        str(light),
    )


def _record(row: MeasureView, clock: Clock) -> dict[str, object]:
    """One measure as data (json): the cells and the values behind them, times in the ledger's zone."""
    from models.text import terminal_text

    return {
        "measure": terminal_text(row.code),
        "problem": row.problem_ordinal,
        "text": terminal_text(row.measure_text),
        "lead_unit": terminal_text(row.lead_unit) if row.lead_unit else None,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "deadline_spec": terminal_text(row.deadline_spec),
        "provisional": row.provisional,
        "status": row.status.value,
        "state": row.state.value,
        "workdays_left": row.workdays_left,
        "light": row.light.value,
        "last_report_at": clock.local(row.last_report_at).isoformat() if row.last_report_at else None,
        "collectives": [terminal_text(str(group)) for group in row.progress],
    }


def _write_rows(rows: list[MeasureView], clock: Clock, output_format: str, output: Path | None) -> None:
    """The overview without Rich: ``plain`` for a pipe or a reader, ``tsv``/``json``/``xlsx`` for programs."""
    import sys

    day = clock.today
    if output_format == "xlsx":
        from tasks.ledger.status_export import write_status_workbook

        assert output is not None
        write_status_workbook(output, day, COLUMNS, [_cells(row) for row in rows])
        console.print(f"{output}: {len(rows)} measures")
        return
    if output_format == "json":
        import json

        text = json.dumps(
            {"as_of": day.isoformat(), "measures": [_record(row, clock) for row in rows]},
            ensure_ascii=False,
            indent=1,
        )
        lines = [text]
    elif output_format == "tsv":
        lines = ["\t".join(COLUMNS)]
        lines += ["\t".join(_tsv_cell(cell) for cell in _cells(row)) for row in rows]
    else:
        lines = _plain_lines(rows, day)
    body = "\n".join(lines) + "\n"
    if output is not None:
        output.write_text(body, encoding="utf-8")
        console.print(f"{output}: {len(rows)} measures")
    else:
        sys.stdout.write(body)
        sys.stdout.flush()


def _tsv_cell(cell: str) -> str:
    return cell.replace("\t", " ").replace("\n", " ")


def _plain_lines(rows: list[MeasureView], day: date) -> list[str]:
    """The table as aligned text, one line a measure; the measure's text last and whole."""
    from rich.cells import cell_len

    order = (0, 2, 3, 4, 5, 1)  # 措施 责任单位 完成时限 状态 灯 整改措施
    table = [tuple(COLUMNS[i] for i in order)] + [
        tuple(cells[i].replace("\n", " ") for i in order) for cells in map(_cells, rows)
    ]
    # Each cell measured once (2,100 rows on a city round): for the widths, then for the padding.
    lengths = [[cell_len(cell) for cell in line[:-1]] for line in table]
    widths = [max(column) for column in zip(*lengths, strict=True)]
    lines = [f"整改进展 · {day.isoformat()}"]
    for line, cells in zip(table, lengths, strict=True):
        padded = [
            cell + " " * (width - length) for cell, length, width in zip(line, cells, widths, strict=False)
        ]
        lines.append("  ".join([*padded, line[-1]]).rstrip())
    lines += [f"{row.code} {group}" for row in rows for group in row.progress]
    lines.append(_summary(rows))
    if any(row.provisional for row in rows):
        lines.append(PROVISIONAL_NOTE)
    return lines


def _line(row: MeasureView, *, styled: bool = True) -> tuple[str, str, str, str, str, Text | str]:
    """One measure as a row of the overview (its light coloured for Rich when ``styled``)."""
    from models.rules import STATE_LABEL

    state_text = STATE_LABEL[row.state]
    left = row.workdays_left
    if left is not None and left < 0:
        state_text += f"{-left}日"
    elif left is not None and row.state.value in ("due_soon", "due_today", "on_track"):
        state_text += f"·剩{left}日"
    deadline = row.deadline.isoformat() if row.deadline else row.deadline_spec
    if row.provisional:
        deadline += "（暂定）"
    owner = row.lead_unit or "【未指定】"
    if not styled:
        return (row.code, row.measure_text, owner, deadline, state_text, LIGHT_DOT[row.light.value])
    from rich.text import Text

    light = Text(LIGHT_DOT[row.light.value], style=LIGHT_STYLE[row.light.value])
    return (row.code, row.measure_text, owner, deadline, state_text, light)


def _print_progress(rows: list[MeasureView]) -> None:
    """Under the table, each collective's members on a measure: ``XH-04-1 街道办事处 7/10 已完成（未完成：…）``."""
    for row in rows:
        for group in row.progress:
            console.print(f"{row.code} {group}")


def _claim_stage(session: Session, row: MeasureView) -> ClaimStage | None:
    """Where a measure claimed done stands on its round's review steps (分步销号); None when not claimed done."""
    from models.enums import MeasureStatus
    from tasks.reports.review import claim_stages

    if row.status != MeasureStatus.DONE or row.id is None:
        return None
    return claim_stages(session, [row.id])[row.id]


def _show_measure(row: MeasureView, clock: Clock, stage: ClaimStage | None = None) -> None:
    from rich.panel import Panel

    from models.cadence import describe_cadence
    from models.rules import STATE_LABEL, STATUS_LABEL

    lines = [
        f"{row.code}  {row.problem_ordinal}. {row.problem_title}",
        f"整改措施：{row.measure_text}",
        f"责任单位：{row.lead_unit or '【未指定】'}"
        + (f"；配合单位：{'、'.join(row.co_units)}" if row.co_units else ""),
        f"责任领导：{row.leader or '—'}",
        f"完成时限：{row.deadline_spec}"
        + (f"（{row.deadline.isoformat()}）" if row.deadline else "")
        + ("（暂定）" if row.provisional else ""),
        f"状态：{STATUS_LABEL[row.status]} · {STATE_LABEL[row.state]} · {row.light.value}",
    ]
    if stage is not None:  # a done claim: the review step it awaits, and the steps taken (who, their note)
        lines.append(f"审核：{stage.label}")
        lines += [f"  {taken.step}：{taken.who}，{taken.reason}" for taken in stage.taken]
    for group in row.progress:
        lines.append(f"{'牵头' if group.role == 'lead' else '配合'}：{group}")
        for share in group.members:
            judged = (
                f"{STATE_LABEL[share.state]} · {share.light.value}" if share.state and share.light else ""
            )
            reported = f" · 最新进展 {local_time(share.last_report_at)}" if share.last_report_at else ""
            lines.append(f"  {share.name}：{STATUS_LABEL[share.status]} · {judged}{reported}")
    if row.cadence:
        lines.append(f"频次：{describe_cadence(row.cadence, clock, feedback_date=row.feedback_date)}")
    if row.last_report_at:
        lines.append(f"最新进展（{local_time(row.last_report_at)}）：{row.last_report_text}")
    console.print(Panel("\n".join(lines), title="整改措施"))
