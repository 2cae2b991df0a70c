"""``zhenggai demo``: the seed's ledger on the embedded default, end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, print_changes, settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "xinhua-2023"
SEED_AS_OF = "2023-12-29"


@app.command("demo")
def demo(
    example: Path = typer.Option(EXAMPLE, help="The example folder (plan.yaml and reports.yaml)."),
    as_of: str = typer.Option(SEED_AS_OF, "--as-of", help="The day the overview and notice are made for."),
) -> None:
    """Load the seed's ledger and reports into the embedded database, show where it stands, write the notice.

    The notice goes to the data directory as Markdown and DOCX. Loading again changes nothing.

    Example: zhenggai demo
    """
    from flows.cli.status import status
    from tasks.ledger.plan_load import load_plan_file
    from tasks.reports.record import load_reports_file

    db = database(create=True)
    clock = cli_clock(db=db)
    with db.unit_of_work() as session:
        changes = load_plan_file(session, example / "plan.yaml", clock)
        session.commit()
    print_changes("plan", changes, dry_run=False)
    with db.unit_of_work() as session:
        loaded = load_reports_file(session, example / "reports.yaml", clock)
        session.commit()
    console.print(f"reports: {loaded.recorded} recorded, {loaded.already_recorded} already recorded")
    status(
        round_code=None,
        unit=None,
        problem=None,
        state=None,
        measure=None,
        as_of=as_of,
        output_format=None,
        output=None,
    )

    from datetime import date

    from flows.cli.notice import generate_notices
    from tasks.notice.files import NoticeDirectory

    target = NoticeDirectory(settings().notices_dir)
    for output, _content in generate_notices(
        db,
        clock.on(date.fromisoformat(as_of)),
        load_plan_round(example / "plan.yaml"),
        [("md", target), ("docx", target)],
        requested_by="zhenggai demo",
    ):
        console.print(f"notice ({output.format}): {output.path}", soft_wrap=True, highlight=False)


def load_plan_round(plan_file: Path) -> str:
    """The round code a plan file declares."""
    from tasks.ledger.plan_schema import parse_plan_text, read_plan_file

    plan, _ = parse_plan_text(read_plan_file(plan_file), str(plan_file))
    return plan.round.code
