"""``zhenggai notice``: the progress notice (整改进展情况的通报) of a round, generated on demand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

import typer

from flows.cli.app import app, make_app
from flows.cli.common import clock as cli_clock
from flows.cli.common import database, err_console, parse_date_option, settings, the_round, today

if TYPE_CHECKING:
    from models.clock import Clock
    from models.db import Database
    from tasks.notice.files import NoticeOutput, NoticeTarget
    from tasks.notice.render import NoticeFormat

NOTICE_FORMATS = ("txt", "md", "html", "docx", "pdf")


def generate_notices(
    db: Database,
    clock: Clock,
    round_code: str,
    targets: Sequence[tuple[NoticeFormat, NoticeTarget]],
    *,
    requested_by: str,
    strict: bool = False,
) -> list[tuple[NoticeOutput, str | bytes]]:
    """The notice as of the clock's day, built once, rendered for every target, then written and recorded
    in one transaction (the same recipe as the ``generate_notice`` flow, without Prefect).

    Nothing is written or recorded unless every format rendered (a PDF without LibreOffice leaves no
    Markdown behind); with ``strict`` a missing report raises ``MissingReports`` before anything is.
    """
    from models.notice import check_missing
    from tasks.notice.files import record_notice_outputs
    from tasks.notice.load import load_notice_document
    from tasks.notice.render import render_notice

    with db.unit_of_work() as session:
        document = load_notice_document(session, round_code, clock)
    if strict:
        check_missing(document)
    rendered = [(fmt, target, render_notice(document, fmt)) for fmt, target in targets]
    with db.unit_of_work() as session:
        outputs = record_notice_outputs(session, document, rendered, requested_by=requested_by)
        session.commit()
    return [(output, content) for output, (_fmt, _target, content) in zip(outputs, rendered, strict=True)]


notice_app = make_app(
    "The progress notice (整改进展情况的通报): a preview of a round's notice, or the editorial path: "
    "draft, edit, approve or return, publish.\n\n"
    "Example: [bold]zhenggai notice --round xinhua-2023-xc2 --as-of 2023-12-31[/bold]",
    no_args_is_help=False,
    invoke_without_command=True,
)
app.add_typer(notice_app, name="notice")


@notice_app.callback()
def notice(
    ctx: typer.Context,
    round_code: str | None = typer.Option(
        None, "--round", help="The round's code (default: the only round loaded)."
    ),
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
    """Generate the round's progress notice as of a date and record it as a new version (an unnumbered
    preview); the subcommands below are the editorial path to a numbered, published notice.

    Measures without a report as of the date are marked 【待报送：责任单位】 and listed on stderr.

    Example: zhenggai notice --round xinhua-2023-xc2 --as-of 2023-12-31 --format docx -o notice.docx
    """
    if ctx.invoked_subcommand is not None:
        return
    if fmt not in NOTICE_FORMATS:
        raise typer.BadParameter(f"'{fmt}' is not one of {', '.join(NOTICE_FORMATS)}", param_hint="--format")
    from tasks.notice.files import NoticeDirectory

    day = parse_date_option(as_of, "--as-of") or today()
    config = settings()
    to_stdout = output is None and fmt in ("txt", "md", "html")
    if output is None and not to_stdout:
        target: Path | NoticeDirectory | None = NoticeDirectory(config.notices_dir)
    else:
        target = output
    db = database()
    [(result, content)] = generate_notices(
        db,
        cli_clock(db=db).on(day),
        the_round(db, round_code),
        [(cast("NoticeFormat", fmt), target)],
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
        from tasks.notice.pdf import describe_pdf_fonts

        err_console.print(describe_pdf_fonts(content, config.fonts_dir), markup=False, highlight=False)
    if to_stdout:
        typer.echo(content, nl=False)
        return
    typer.echo(
        f"notice {result.round_code} as of {day.isoformat()} ({fmt}) → {result.path} "
        f"(version {result.version}, sha256 {result.sha256[:12]})"
    )


# The editorial subcommands (draft, edit, approve, return, publish…) live in their own module and register on
# notice_app: imported here, so that whoever imports this group gets all of it.
from flows.cli import notice_drafts  # noqa: E402, F401
