"""``zhenggai chart``: one of the desk's charts of a round as a PNG (for documents) or an SVG file."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, err_console, parse_date_option

NAMES = (
    "completion (completion by problem), lights (红黄绿灯 by unit) or trend (weekly done / overdue / missing)"
)


@app.command("chart")
def chart(
    name: str = typer.Argument(..., help=f"The chart: {NAMES}."),
    output: Path = typer.Option(..., "--output", "-o", help="The file to write: FILE.png or FILE.svg."),
    round_code: str | None = typer.Option(
        None, "--round", help="The round (default: the desk's, the first)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge as of this date (YYYY-MM-DD); default now."
    ),
) -> None:
    """Write a chart of the desk (docs/desk.md) as PNG, in the CJK font the PDF notice uses, or as SVG.

    The format is the output's suffix. With --as-of the round is judged at the end of that day (the
    trend's weeks run to it).

    Example: zhenggai chart trend --round xinhua-2023-xc2 --as-of 2023-12-29 -o 每周趋势.png
    """
    from tasks.charts.desk import CHARTS, round_chart

    format = output.suffix.lower().lstrip(".")
    day = parse_date_option(as_of, "--as-of")
    clock = cli_clock()
    if day is not None:
        clock = clock.on(day)
    with database().unit_of_work() as session:
        drawn = round_chart(session, clock, round_code, name, format)
    try:
        output.write_bytes(drawn.content)
    except OSError as error:  # a directory that does not exist, a file not writable
        err_console.print(f"cannot write {output}: {error.strerror or error}")
        raise typer.Exit(1) from None
    console.print(f"{CHARTS[name]} {drawn.round_code} ({format}) → {output}")
