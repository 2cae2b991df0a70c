"""``zhenggai plan``: load, export and show the ledger's plan."""

from __future__ import annotations

from pathlib import Path

import typer

from flows.cli.app import app, make_app
from flows.cli.common import (
    ALLOW_REMOVALS_HELP,
    DRY_RUN_HELP,
    TAKE_PLAN_HELP,
    console,
    database,
    load_database,
    print_changes,
    the_round,
)
from flows.cli.common import clock as cli_clock

plan_app = make_app(
    "Plans: the problems and measures of a round.\n\nExample: [bold]zhenggai plan load plan.yaml[/bold]"
)
app.add_typer(plan_app, name="plan")


@plan_app.command("load")
def load(
    file: Path = typer.Argument(..., help="The plan's YAML file."),
    allow_unassigned: bool = typer.Option(
        False, help="Accept measures without an owner unit (imported notices)."
    ),
    take_plan: list[str] = typer.Option([], "--take-plan", metavar="FIELD", help=TAKE_PLAN_HELP),
    allow_removals: bool = typer.Option(False, "--allow-removals", help=ALLOW_REMOVALS_HELP),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN_HELP),
) -> None:
    """Validate a plan file and load it: all of it or, on any error, nothing.

    What the ledger gained since the plan (a status a unit or reviewer reached, a field changed in the
    ledger) is kept and listed; a load that would remove owners, deadlines, cadences or measures is refused
    unless --allow-removals. The diff is printed after the load (and instead of it with --dry-run).

    Example: zhenggai plan load examples/xinhua-2023/plan.yaml
    """
    from tasks.ledger.plan_load import load_plan_file

    db = load_database(dry_run=dry_run)
    with db.unit_of_work() as session:
        changes = load_plan_file(
            session,
            file,
            cli_clock(db=db),
            allow_unassigned=allow_unassigned,
            take_plan=take_plan,
            allow_removals=allow_removals or dry_run,
        )
        if not dry_run:
            session.commit()
    print_changes(file, changes, dry_run=dry_run)
    if changes.collectives_without_members:
        console.print(
            "  collectives without members (each is one unit): "
            + ", ".join(changes.collectives_without_members)
        )
    if changes.ongoing_default:
        console.print(
            f"  长期坚持 without a cadence, asked for progress {changes.ongoing_cadence} "
            f"(round: ongoing_cadence): {', '.join(changes.ongoing_default)}"
        )


@plan_app.command("export")
def export(
    round_code: str | None = typer.Option(
        None, "--round", help="The round's code (default: the only round loaded)."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here instead of standard output."),
) -> None:
    """Write a round's ledger as a plan file that loads back to the same state.

    Example: zhenggai plan export --round xinhua-2023-xc2 -o plan.yaml
    """
    from tasks.ledger.plan_export import export_plan

    db = database()
    code = the_round(db, round_code)
    with db.unit_of_work() as session:
        text = export_plan(session, code)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


@plan_app.command("show")
def show(round_code: str | None = typer.Option(None, "--round", help="Only this round.")) -> None:
    """Show rounds with their problems and measures as a tree.

    Example: zhenggai plan show --round xinhua-2023-xc2
    """
    from rich.text import Text
    from rich.tree import Tree

    from models.rules import chinese_ordinal
    from tasks.ledger.queries import rounds_with_plans

    with database().unit_of_work() as session:
        for round_ in rounds_with_plans(session, round_code):
            tree = Tree(Text.assemble((round_.code, "bold"), f" {round_.title}（{round_.inspecting_body}）"))
            for problem in (p for p in round_.problems if p.removed_at is None):
                branch = tree.add(Text(f"{chinese_ordinal(problem.ordinal)}、{problem.title}"))
                for measure in (m for m in problem.measures if m.removed_at is None):
                    owner = measure.lead_unit.name if measure.lead_unit else "【未指定责任单位】"
                    branch.add(
                        Text.assemble(
                            (measure.code, "cyan"),
                            f" {measure.marker}{measure.text} ",
                            (f"· {owner} · {measure.deadline_spec}", "dim"),
                        )
                    )
            console.print(tree)
