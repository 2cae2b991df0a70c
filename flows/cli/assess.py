"""``zhenggai assess``: unit assessment (考评): the ranking of a week or month, its explanation, 加减分, closing."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import typer

from flows.cli.app import ZhenggaiGroup, app, make_app
from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, local_time, today
from models.errors import InvalidPeriod, UnsupportedFormat

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.assessment import Period
    from models.clock import Clock
    from tasks.assessment.results import PeriodResult

# Typer raises its own (vendored) click's usage errors: their common base is typer.BadParameter's parent.
USAGE_ERROR: type[Exception] = typer.BadParameter.__mro__[1]


class AssessGroup(ZhenggaiGroup):
    """As every group, and a usage mistake in a subcommand (a missing option) is one line and exit 1 too."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except USAGE_ERROR as error:
            click.secho(f"error: {error.format_message()}", fg="red", err=True)  # type: ignore[attr-defined]
            sys.exit(1)


assess_app = make_app(
    "Unit assessment (考评): rank the units of a round by week or month, 红榜/黑榜, 加减分, the 考评通报.\n\n"
    "Example: [bold]zhenggai assess --round xinhua-2023-xc2 --period 2026-W48[/bold]",
    no_args_is_help=False,
    invoke_without_command=True,
    cls=AssessGroup,
)
app.add_typer(assess_app, name="assess")

FORMATS = ("table", "xlsx", "docx", "md", "html")
ROUND_HELP = "The round's code (default: the ledger's only round)."
PERIOD_HELP = "An ISO week (2026-W48) or a month (2026-11); default: the last week that has ended."
EARLIER_SHEETS = 11  # the workbook's sheets: the period asked and the stored periods before it


def _period(value: str | None) -> Period:
    from models.assessment import PeriodKind, last_closed, parse_period

    return parse_period(value) if value is not None else last_closed(today(), PeriodKind.WEEK)


def _clock() -> Clock:
    return cli_clock()


def _origin(result: PeriodResult, code: str) -> str:
    """Where the ranking comes from, naming the round (the ledger's only one when --round is left out)."""
    label = result.ranking.period.label
    if result.stored is None:
        return (
            f"round {code}: computed now from the ledger: {label} has no stored result "
            f"(store it with `zhenggai assess close --period {label}`)"
        )
    stored = result.stored
    line = f"round {code}: stored result of {label}, revision {stored.revision}, closed {local_time(stored.computed_at)} by {stored.computed_by}"
    return line + (f" (recomputed: {stored.reason})" if stored.reason else "")


def _output(fmt: str, output: Path | None) -> Path | None:
    if fmt not in FORMATS:
        raise UnsupportedFormat(f"--format '{fmt}' is not one of {', '.join(FORMATS)}")
    if fmt == "table":
        if output is not None:
            raise UnsupportedFormat(
                "the table prints to the terminal: give --format xlsx, docx, md or html with -o"
            )
        return None
    if output is None:
        raise UnsupportedFormat(f"--format {fmt} writes a file: give -o FILE")
    if not output.parent.is_dir():
        raise UnsupportedFormat(f"-o {output}: the directory {output.parent} does not exist")
    return output


@assess_app.callback()
def ranking(
    ctx: typer.Context,
    round_code: str | None = typer.Option(None, "--round", help=ROUND_HELP),
    period: str | None = typer.Option(None, "--period", help=PERIOD_HELP),
    fmt: str = typer.Option("table", "--format", "-f", help="table (the terminal), xlsx, docx, md or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="The file to write (xlsx, docx, md, html)."
    ),
) -> None:
    """Rank the units for a week or month: rank, unit, score, change since the last period, 红榜/黑榜.

    A period that has been closed shows its stored result; any other is computed from the ledger and
    says so. xlsx: one sheet per period (this one and the stored ones before it) and a sheet of every
    deduction and 加减分. docx, md, html: the ranking notice (考评通报) with the table, the lists and a
    bar chart (md writes the chart beside the file as FILE.png).

    Example: zhenggai assess --round xinhua-2023-xc2 --period 2026-W48 --format docx -o 考评通报.docx
    """
    if ctx.invoked_subcommand is not None:
        return
    target = _output(fmt, output)
    chosen = _period(period)
    clock = _clock()
    with database().unit_of_work() as session:
        from tasks.assessment.results import period_result, the_round

        code = the_round(session, round_code)
        result = period_result(session, code, chosen, clock)
        if target is None:
            from tasks.assessment.text import ranking_text

            typer.echo(ranking_text(result.ranking), nl=False)
            console.print(_origin(result, code))
            return
        if fmt == "xlsx":
            content = _workbook(session, code, result, clock)
            target.write_bytes(content)
            console.print(f"{_origin(result, code)}\nranking {code} {chosen.label} (xlsx) → {target}")
            return
        notice, chart = _notice(session, code, result, fmt, target)
    if chart is not None:
        chart_path = target.with_suffix(".png")
        chart_path.write_bytes(chart)
    target.write_bytes(notice)
    console.print(f"{_origin(result, code)}\n考评通报 {code} {chosen.label} ({fmt}) → {target}")


def _workbook(session: Session, code: str, result: PeriodResult, clock: Clock) -> bytes:
    from tasks.assessment.export import ranking_workbook
    from tasks.assessment.gather import find_round
    from tasks.assessment.results import latest_result

    round_id = find_round(session, code).id
    results = [result]
    earlier = result.ranking.period.previous()
    for _ in range(EARLIER_SHEETS):
        stored = latest_result(session, round_id, earlier)
        if stored is None:
            break
        results.append(stored)
        earlier = earlier.previous()
    return ranking_workbook(
        [r.ranking for r in results], clock.timezone, stored=[r.stored is not None for r in results]
    )


def _notice(
    session: Session, code: str, result: PeriodResult, fmt: str, target: Path
) -> tuple[bytes, bytes | None]:
    """The 考评通报 in ``fmt``, and its chart when it goes beside the file (Markdown)."""
    from typing import cast

    from models.assessment_formula import list_rules_text
    from models.assessment_notice import build_ranking_notice
    from tasks.assessment.gather import find_round
    from tasks.charts.ranking import ranking_chart_png
    from tasks.notice.ranking import RankingFormat, render_ranking

    round_ = find_round(session, code)
    notice = build_ranking_notice(
        result.ranking,
        issuer=round_.inspected_org,
        as_of=today(),
        list_rules=list_rules_text(result.formula),
        signature=round_.signature,
    )
    chart = ranking_chart_png(notice)
    content = render_ranking(
        notice, cast("RankingFormat", fmt), chart=chart, chart_name=target.with_suffix(".png").name
    )
    return content, chart if fmt == "md" else None


@assess_app.command("explain")
def explain(
    unit: str = typer.Option(..., "--unit", help="The unit's code."),
    round_code: str | None = typer.Option(None, "--round", help=ROUND_HELP),
    period: str = typer.Option(..., "--period", help="An ISO week (2026-W48) or a month (2026-11)."),
) -> None:
    """List every record that moved a unit's score: measure, date, rule, points and why; 加减分 apart.

    Example: zhenggai assess explain --unit zhifa --round xinhua-2023-xc2 --period 2026-W48
    """
    from models.errors import UnknownUnit
    from tasks.assessment.results import period_result, the_round
    from tasks.assessment.text import explain_text

    chosen = _period(period)
    clock = _clock()
    with database().unit_of_work() as session:
        code = the_round(session, round_code)
        result = period_result(session, code, chosen, clock)
    score = result.ranking.score_of(unit)
    if score is None:
        raise UnknownUnit(
            f"unit '{unit}' has no share of round {code}'s measures and no 加减分 in {chosen.label}"
        )
    typer.echo(explain_text(score, result.ranking, clock.timezone), nl=False)
    console.print(_origin(result, code))


@assess_app.command("adjust")
def adjust(
    unit: str = typer.Option(..., "--unit", help="The unit's code."),
    period: str = typer.Option(..., "--period", help="An ISO week (2026-W48) or a month (2026-11)."),
    points: str = typer.Option(
        ..., "--points", help="Positive for a bonus, negative for a deduction (e.g. 3, -1.5)."
    ),
    reason: str = typer.Option(
        ..., "--reason", help="Why (kept with the points and shown with the ranking)."
    ),
    round_code: str | None = typer.Option(None, "--round", help=ROUND_HELP),
    actor: str = typer.Option("cli coordinator", "--actor", help="Who records it."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check and say what would be recorded; write nothing."
    ),
) -> None:
    """Record a bonus or deduction (加减分) for a unit in a period, with its reason, who and when.

    It is shown apart from the base score and never edited: answer a wrong one with another.

    Example: zhenggai assess adjust --unit chengguan --period 2026-W48 --points 3 --reason 市级通报表扬
    """
    from datetime import UTC, datetime

    from models.assessment_formula import format_points
    from tasks.assessment.adjustments import add_adjustment
    from tasks.assessment.results import the_round

    chosen = _period(period)
    with database().unit_of_work() as session:
        code = the_round(session, round_code)
        outcome = add_adjustment(
            session, code, unit, chosen, points=points, reason=reason, actor=actor, now=datetime.now(UTC)
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    verb = "would record" if dry_run else f"recorded #{outcome.id}"
    console.print(
        f"{verb}: {outcome.unit_name} {chosen.label} {format_points(outcome.points)}（{reason.strip()}）"
    )
    if outcome.period_closed:
        console.print(
            f"{chosen.label} is closed: its stored ranking shows this after "
            f"`zhenggai assess close --period {chosen.label} --recompute --reason …`"
        )


@assess_app.command("close")
def close(
    period: str = typer.Option(
        ..., "--period", help="An ISO week (2026-W48) or a month (2026-11) that has ended."
    ),
    round_code: str | None = typer.Option(None, "--round", help=ROUND_HELP),
    recompute: bool = typer.Option(
        False, "--recompute", help="Compute a closed period again (a new revision)."
    ),
    reason: str = typer.Option("", "--reason", help="Why it is recomputed (required with --recompute)."),
    actor: str = typer.Option("cli coordinator", "--actor", help="Who closes it (kept with the result)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Compute and say what would be stored; write nothing."
    ),
) -> None:
    """Store a period's result (snapshot): later reports never rewrite it; --recompute stores a new revision.

    Example: zhenggai assess close --round xinhua-2023-xc2 --period 2026-W48
    """
    from tasks.assessment.results import close_period, the_round

    if reason.strip() and not recompute:
        raise InvalidPeriod("--reason goes with --recompute (closing for the first time needs none)")
    chosen = _period(period)
    clock = _clock()
    with database().unit_of_work() as session:
        code = the_round(session, round_code)
        result, created = close_period(
            session, code, chosen, clock, actor=actor, recompute=recompute, reason=reason
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    ranked = len(result.ranking.ranked)
    if not created:
        console.print(f"{chosen.label} is already closed ({_origin(result, code)}); nothing changed")
        return
    assert result.stored is not None
    verb = "would store" if dry_run else "stored"
    console.print(
        f"{verb} {code} {chosen.label}: revision {result.stored.revision}, {ranked} ranked units, "
        f"formula {result.ranking.formula_name}（{result.ranking.formula_version}）"
    )


@assess_app.command("history")
def history(
    period: str = typer.Option(..., "--period", help="An ISO week (2026-W48) or a month (2026-11)."),
    round_code: str | None = typer.Option(None, "--round", help=ROUND_HELP),
) -> None:
    """List every stored revision of a period: when, by whom, why, with which formula.

    Example: zhenggai assess history --round xinhua-2023-xc2 --period 2026-W48
    """
    from tasks.assessment.results import period_history, the_round

    chosen = _period(period)
    with database().unit_of_work() as session:
        code = the_round(session, round_code)
        revisions = period_history(session, code, chosen)
    if not revisions:
        console.print(f"{code} {chosen.label} has not been closed")
        return
    for stored, formula in revisions:
        why = f"; {stored.reason}" if stored.reason else ""
        console.print(
            f"revision {stored.revision}: {local_time(stored.computed_at)} by {stored.computed_by}, {formula}{why}"
        )
