"""``zhenggai notice``: the progress notice (整改进展情况的通报) of a round, generated on demand."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import typer

from flows.cli.app import app
from flows.cli.common import database, err_console, parse_date_option, settings, today

NOTICE_FORMATS = ("txt", "md", "html", "docx", "pdf")


@app.command("notice")
def notice(
    round_code: str = typer.Option(..., "--round", help="The round's code."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Use reports submitted up to the end of this date (YYYY-MM-DD); default today."
    ),
    fmt: str = typer.Option(
        "txt", "--format", "-f", help="txt, md, html, docx or pdf (pdf needs LibreOffice)."
    ),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write here. Default: txt/md/html to stdout, docx/pdf into the data directory's notices/.",
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Fail, writing nothing, if any measure has no report."
    ),
    requested_by: str = typer.Option("cli", "--by", help="Who asks for it (kept in the version record)."),
) -> None:
    """Generate the round's progress notice as of a date and record it as a new version.

    Measures without a report as of the date are marked 【待报送：责任单位】 and listed on stderr.

    Example: zhenggai notice --round xinhua-2023-xc2 --as-of 2023-12-31 --format docx -o notice.docx
    """
    if fmt not in NOTICE_FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(NOTICE_FORMATS)}", param_hint="--format")
    from tasks.notice import NoticeDirectory, NoticeFormat, generate_notices

    day = parse_date_option(as_of, "--as-of") or today()
    config = settings()
    to_stdout = output is None and fmt in ("txt", "md", "html")
    if output is None and not to_stdout:
        target: Path | NoticeDirectory | None = NoticeDirectory(config.notices_dir)
    else:
        target = output
    [(result, content)] = generate_notices(
        database(),
        round_code,
        [(cast("NoticeFormat", fmt), target)],
        as_of=day,
        timezone=config.timezone,
        requested_by=requested_by,
        strict=strict,
    )
    if result.missing:
        err_console.print(
            f"{len(result.missing)} measure(s) have no report as of {day.isoformat()} "
            "(marked 【待报送】 in the notice):",
            markup=False,
            highlight=False,
        )
        for item in result.missing:
            err_console.print(f"  {item}", markup=False, highlight=False)
    if fmt == "pdf" and isinstance(content, bytes):
        from tasks.notice_pdf import describe_pdf_fonts

        err_console.print(describe_pdf_fonts(content, config.fonts_dir), markup=False, highlight=False)
    if to_stdout:
        typer.echo(content, nl=False)
        return
    typer.echo(
        f"notice {result.round_code} as of {day.isoformat()} ({fmt}) → {result.path} "
        f"(version {result.version}, sha256 {result.sha256[:12]})"
    )
