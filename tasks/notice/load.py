"""The notice's document loaded from the ledger as of a date.

``load_notice_document`` reads the round, its problems with their measures and lead units, each
measure's latest report as of the end of the day and its status then, in a handful of SQL statements,
and builds the ``models.notice.NoticeDocument``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from models.clock import Clock
from models.enums import EventKind, ReportStatus
from models.errors import UnknownRound
from models.notice import (
    NoticeDocument,
    NoticeOptions,
    ProblemInfo,
    ReportInfo,
    RoundInfo,
    build_notice,
)
from models.rules import LaterReport, status_as_of
from models.tables import Measure, Problem, Report, Round, StatusEvent
from models.text import sanitise_text
from tasks.ledger.queries import live_measures, views_of


def round_info(round_: Round) -> RoundInfo:
    """The round's facts the notice prints (preamble, contact block, signature)."""
    return RoundInfo(
        code=round_.code,
        inspected_org=sanitise_text(round_.inspected_org),
        inspecting_body=sanitise_text(round_.inspecting_body),
        inspection_start=round_.inspection_start,
        inspection_end=round_.inspection_end,
        feedback_date=round_.feedback_date,
        inspected_short=sanitise_text(round_.inspected_short),
        feedback_recipient=sanitise_text(round_.feedback_recipient),
        inspection_kind=sanitise_text(round_.inspection_kind),
        contact_phone=round_.contact_phone,
        contact_address=round_.contact_address,
        contact_postcode=round_.contact_postcode,
        contact_email=round_.contact_email,
        signature=round_.signature,
    )


def _statuses_as_of(session: Session, round_id: int, cutoff: datetime) -> dict[int, str]:
    """The last recorded status change of each measure of a round up to ``cutoff`` (one statement)."""
    rows = session.execute(
        select(StatusEvent.measure_id, StatusEvent.at, StatusEvent.to_value)
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id == round_id,
            StatusEvent.kind == EventKind.STATUS,
            StatusEvent.at <= cutoff,
            StatusEvent.to_value.is_not(None),
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    )
    return {measure_id: to_value for measure_id, _at, to_value in rows}


def _reports_after_last_status(
    session: Session, round_id: int, cutoff: datetime
) -> dict[int, list[LaterReport]]:
    """Per live measure, in submission order, its reports submitted up to ``cutoff`` after its last
    status change up to ``cutoff`` (one statement: a report is kept when no status change falls
    between its submission and the cutoff). Superseded reports count too: each moved the status
    when it was recorded.
    """
    superseded = aliased(Report)
    later_change = exists().where(
        StatusEvent.measure_id == Report.measure_id,
        StatusEvent.kind == EventKind.STATUS,
        StatusEvent.to_value.is_not(None),
        StatusEvent.at >= Report.submitted_at,
        StatusEvent.at <= cutoff,
    )
    rows = session.execute(
        select(Report.measure_id, Report.claimed_status, superseded.claimed_status)
        .join(Measure, Measure.id == Report.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .outerjoin(superseded, superseded.id == Report.supersedes_id)
        .where(
            Problem.round_id == round_id,
            Measure.removed_at.is_(None),
            Problem.removed_at.is_(None),
            Report.submitted_at <= cutoff,
            ~later_change,
        )
        .order_by(Report.submitted_at, Report.id)
    )
    later: dict[int, list[LaterReport]] = {}
    for measure_id, claimed, superseded_claim in rows:
        later.setdefault(measure_id, []).append(
            LaterReport(claimed == ReportStatus.DONE, superseded_claim == ReportStatus.DONE)
        )
    return later


def load_notice_document(
    session: Session, round_code: str, clock: Clock, *, withheld: Collection[str] = ()
) -> NoticeDocument:
    """The notice of a round as of the clock's day: what was submitted by the end of that local day.

    Each measure prints its latest standing report then. Its status then (for the statistics) is
    ``models.rules.status_as_of``: its last status change by then, moved by the reports submitted after
    it by then as ``record_report`` moves it. Measures in ``withheld`` (codes) are left out of the text.
    """
    round_ = session.scalar(select(Round).where(Round.code == round_code))
    if round_ is None:
        raise UnknownRound(f"no round '{round_code}'")
    options = NoticeOptions.from_mapping(round_.notice_options, where=f"round {round_code}")
    day = clock.on(clock.today)
    problems = session.scalars(
        select(Problem)
        .where(Problem.round_id == round_.id, Problem.removed_at.is_(None))
        .order_by(Problem.ordinal)
    ).all()
    statuses = _statuses_as_of(session, round_.id, day.now)
    later_reports = _reports_after_last_status(session, round_.id, day.now)
    measures = live_measures(session, round_code=round_code)
    views = views_of(
        session,
        measures,
        day,
        statuses={m.id: status_as_of(statuses.get(m.id), later_reports.get(m.id, ())) for m in measures},
        judge=False,
    )
    reports = {v.code: ReportInfo(v.last_report_text) for v in views if v.last_report_text is not None}
    infos = [
        ProblemInfo(
            ordinal=problem.ordinal,
            title=sanitise_text(problem.title),
            description=sanitise_text(problem.description),
            outcome_lead_in=sanitise_text(problem.outcome_lead_in),
            measures=tuple(v for v in views if v.problem_ordinal == problem.ordinal),
        )
        for problem in problems
    ]
    blacklist = blacklist_paragraph(session, round_, options, day.today)
    laggards = None
    if options.name_laggard_members:
        from tasks.ledger.collectives import laggards_as_of

        laggards = laggards_as_of(session, measures, {v.code: v.status for v in views}, day.now)
    return build_notice(
        round_info(round_),
        infos,
        reports,
        day.today,
        options,
        blacklist=blacklist,
        withheld=withheld,
        laggards=laggards,
    )


def blacklist_paragraph(session: Session, round_: Round, options: NoticeOptions, as_of: date) -> str | None:
    """The 黑榜 paragraph the options ask for, from the published (stored) result of the last week (month)
    that ended by ``as_of``; None when the options do not ask, it was never closed, or nobody is on it."""
    if options.blacklist is None:
        return None
    from models.assessment import Period, PeriodKind
    from models.assessment_notice import blacklist_sentence
    from models.tables import AssessmentResult, AssessmentScore

    period = Period.containing(as_of, PeriodKind(options.blacklist))
    if as_of < period.last:
        period = period.previous()
    latest = (
        select(AssessmentResult.id)
        .where(AssessmentResult.round_id == round_.id, AssessmentResult.period == period.label)
        .order_by(AssessmentResult.revision.desc())
        .limit(1)
        .scalar_subquery()
    )
    names = session.scalars(
        select(AssessmentScore.unit_name)
        .where(AssessmentScore.result_id == latest, AssessmentScore.list_kind == "black")
        .order_by(AssessmentScore.rank, AssessmentScore.unit_name)
    ).all()
    return blacklist_sentence(period, names)


def monthly_notice_rounds(session: Session) -> list[str]:
    """Codes of the rounds whose notice options ask for a monthly notice (``notice: {monthly: true}``)."""
    rounds = session.execute(select(Round.code, Round.notice_options).order_by(Round.code))
    return [code for code, options in rounds if (options or {}).get("monthly") is True]
