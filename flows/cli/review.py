"""``zhenggai review``: a coordinator confirms (a round's step before 销号), accepts and closes (销号), sends
back (退回) or reopens a measure."""

from __future__ import annotations

import typer

from flows.cli.app import app, make_app
from flows.cli.common import console, database, settings

review_app = make_app(
    "Review done claims: confirm (a round's step before 销号), 销号, 退回, reopen.\n\n"
    "Example: [bold]zhenggai review accept XH-05-2 --note '…'[/bold]"
)
app.add_typer(review_app, name="review")


def _review(measure: str, action: str, reason: str, actor: str) -> None:
    from datetime import UTC, datetime

    from flows.review import sync_after_review
    from tasks.reports.review import ACTION_LABEL, ReviewAction, review_measure

    review_action = ReviewAction(action)
    db = database()
    with db.unit_of_work() as session:
        outcome = review_measure(
            session, measure, review_action, reason=reason, actor=actor, now=datetime.now(UTC)
        )
        session.commit()
    if review_action == ReviewAction.CONFIRM:
        console.print(f"{measure}: {outcome.step} ({outcome.to_status.value}; next: {outcome.next_step})")
        return
    console.print(
        f"{measure}: {ACTION_LABEL[review_action]} ({outcome.from_status.value} → {outcome.to_status.value})"
    )
    if review_action in (ReviewAction.ACCEPT, ReviewAction.REOPEN):
        console.print(sync_after_review(db, settings(), measure))


@review_app.command("confirm")
def confirm(
    measure: str = typer.Argument(..., help="The measure's code."),
    note: str = typer.Option(..., "--note", help="The confirmation's note: what was checked."),
    actor: str = typer.Option(
        "cli coordinator", "--actor", help="Who confirms (kept in the history; not the one who closes)."
    ),
) -> None:
    """Take the round's next step before 销号 (its plan's review_steps, e.g. 分管领导确认) on a done claim.

    The one who confirms may not close the same claim (four-eyes: give each their own --actor).

    Example: zhenggai review confirm XH-05-2 --note '分管领导已审阅台账' --actor 李某某
    """
    _review(measure, "confirm", note, actor)


@review_app.command("accept")
def accept(
    measure: str = typer.Argument(..., help="The measure's code."),
    note: str = typer.Option(..., "--note", help="The closing note: what was checked."),
    actor: str = typer.Option("cli coordinator", "--actor", help="Who reviews (kept in the history)."),
) -> None:
    """Accept a done claim and close the measure (销号); its deployment is paused (when Prefect is configured).

    In a round with review steps, 销号 follows each confirmation (zhenggai review confirm), by another --actor.

    Example: zhenggai review accept XH-05-2 --note '现场核查，台账齐全'
    """
    _review(measure, "accept", note, actor)


@review_app.command("return")
def send_back(
    measure: str = typer.Argument(..., help="The measure's code."),
    reason: str = typer.Option(..., "--reason", help="Why the done claim does not hold."),
    actor: str = typer.Option("cli coordinator", "--actor", help="Who reviews (kept in the history)."),
) -> None:
    """Send a done claim back (退回): the measure is in progress again.

    Example: zhenggai review return XH-05-2 --reason '缺少现场照片'
    """
    _review(measure, "return", reason, actor)


@review_app.command("reopen")
def reopen(
    measure: str = typer.Argument(..., help="The measure's code."),
    reason: str = typer.Option(..., "--reason", help="Why the closed measure needs more work."),
    actor: str = typer.Option("cli coordinator", "--actor", help="Who reviews (kept in the history)."),
) -> None:
    """Reopen a closed measure (coordinators only), with a reason; its deployment resumes.

    Example: zhenggai review reopen XH-05-2 --reason '复查发现问题反弹'
    """
    _review(measure, "reopen", reason, actor)
