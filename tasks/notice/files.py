"""The progress notice from the ledger: query, render, write the file, record the version.

Each step is a plain function (the Prefect tasks in ``flows/notice.py`` wrap them):

- ``load_notice_document(session, round_code, as_of, timezone)`` reads the ledger in a handful of SQL
  statements (round; problems with measures and lead units; the latest reports as of the end of the
  day; status events) and builds the ``models.notice.NoticeDocument``;
- ``render_notice(document, fmt)`` returns ``str`` (txt, md, html) or ``bytes`` (docx, pdf);
- ``write_notice_file(path, content)`` writes atomically and returns the SHA-256;
- ``record_notice_outputs(session, document, rendered, ...)`` writes the rendered formats and appends
  one versioned ``GeneratedNotice`` each, in one transaction.

``generate_notices`` and ``write_notice`` chain them for the CLI and ``zhenggai demo``; the flow's
tasks chain the same steps.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased

from models.enums import EventKind, MeasureStatus, ReportStatus
from models.errors import MissingReports, UnknownRound
from models.notice import (
    MeasureInfo,
    NoticeDocument,
    NoticeOptions,
    ProblemInfo,
    ReportInfo,
    RoundInfo,
    build_notice,
)
from models.rules import local_date, status_after_report
from models.tables import GeneratedNotice, Measure, Problem, Report, Round, StatusEvent, Unit
from tasks.ledger.queries import end_of_day

if TYPE_CHECKING:
    from models.db import Database
    from models.settings import Settings

NoticeFormat = Literal["txt", "md", "html", "docx", "pdf"]
FORMATS: tuple[NoticeFormat, ...] = ("txt", "md", "html", "docx", "pdf")


# -- query ------------------------------------------------------------------------------------------


def round_info(round_: Round) -> RoundInfo:
    return RoundInfo(
        code=round_.code,
        inspected_org=round_.inspected_org,
        inspecting_body=round_.inspecting_body,
        inspection_start=round_.inspection_start,
        inspection_end=round_.inspection_end,
        feedback_date=round_.feedback_date,
        inspected_short=round_.inspected_short,
        feedback_recipient=round_.feedback_recipient,
        inspection_kind=round_.inspection_kind,
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


@dataclass(frozen=True)
class LaterReport:
    """A report submitted after its measure's last status change (up to the cutoff): what it claims."""

    claimed_done: bool
    retracts_done_claim: bool  # it supersedes a report that claimed done


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


def status_as_of(last_change: str | None, later_reports: Sequence[LaterReport]) -> MeasureStatus:
    """A measure's status as of a date: its last status change up to then (planned when none), then
    each report submitted after it, in order, through ``models.rules.status_after_report``: the rule
    ``record_report`` applies, so a report never reopens a closed measure nor undoes a done one.
    """
    status = MeasureStatus(last_change) if last_change is not None else MeasureStatus.PLANNED
    for report in later_reports:
        status = status_after_report(
            status, report.claimed_done, retracts_done_claim=report.retracts_done_claim
        )
    return status


@dataclass(frozen=True)
class LatestReport:
    """The columns of a measure's latest standing report that the notice needs."""

    measure_id: int
    submitted_at: datetime
    text: str
    claimed_status: ReportStatus


def latest_report_rows(session: Session, round_id: int, cutoff: datetime) -> dict[int, LatestReport]:
    """Per live measure of the round, its latest report submitted up to ``cutoff`` that no report
    submitted up to ``cutoff`` supersedes: the rule of ``tasks.ledger.queries.latest_reports``, in one
    statement that returns one row per measure (a window function) instead of every report.
    """
    superseding = aliased(Report)
    ranked = (
        select(
            Report.measure_id,
            Report.submitted_at,
            Report.text,
            Report.claimed_status,
            func.row_number()
            .over(partition_by=Report.measure_id, order_by=(Report.submitted_at.desc(), Report.id.desc()))
            .label("rank"),
        )
        .join(Measure, Measure.id == Report.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id == round_id,
            Measure.removed_at.is_(None),
            Problem.removed_at.is_(None),
            Report.submitted_at <= cutoff,
            ~exists().where(superseding.supersedes_id == Report.id, superseding.submitted_at <= cutoff),
        )
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.measure_id, ranked.c.submitted_at, ranked.c.text, ranked.c.claimed_status).where(
            ranked.c.rank == 1
        )
    )
    return {row.measure_id: LatestReport(*row) for row in rows}


def load_notice_document(session: Session, round_code: str, as_of: date, *, timezone: str) -> NoticeDocument:
    """The notice of a round as of the end of ``as_of`` (local day in ``timezone``).

    Each measure prints its latest non-superseded report submitted by then. Its status as of then
    (for the statistics) is ``status_as_of``: its last status change by then, moved by the reports
    submitted after it by then as ``record_report`` moves it.
    """
    round_ = session.scalar(select(Round).where(Round.code == round_code))
    if round_ is None:
        raise UnknownRound(f"no round '{round_code}'")
    options = NoticeOptions.from_mapping(round_.notice_options, where=f"round {round_code}")
    cutoff = end_of_day(as_of, timezone)

    rows = session.execute(
        select(Problem, Measure, Unit.name)
        .outerjoin(Measure, (Measure.problem_id == Problem.id) & Measure.removed_at.is_(None))
        .outerjoin(Unit, Unit.id == Measure.lead_unit_id)
        .where(Problem.round_id == round_.id, Problem.removed_at.is_(None))
        .order_by(Problem.ordinal, Measure.ordinal)
    ).all()
    latest = latest_report_rows(session, round_.id, cutoff)
    statuses = _statuses_as_of(session, round_.id, cutoff)
    later_reports = _reports_after_last_status(session, round_.id, cutoff)

    problems: dict[int, tuple[Problem, list[MeasureInfo]]] = {}
    reports: dict[str, ReportInfo] = {}
    for problem, measure, unit_name in rows:
        entry = problems.setdefault(problem.id, (problem, []))
        if measure is None:
            continue
        report = latest.get(measure.id)
        if report is not None:
            reports[measure.code] = ReportInfo(report.text, report.claimed_status == ReportStatus.DONE)
        entry[1].append(
            MeasureInfo(
                code=measure.code,
                ordinal=measure.ordinal,
                marker=measure.marker,
                lead_unit=unit_name or "",
                deadline=measure.deadline,
                status=status_as_of(statuses.get(measure.id), later_reports.get(measure.id, ())),
            )
        )
    infos = [
        ProblemInfo(
            ordinal=problem.ordinal,
            title=problem.title,
            description=problem.description,
            outcome_lead_in=problem.outcome_lead_in,
            measures=tuple(measures),
        )
        for problem, measures in problems.values()
    ]
    return build_notice(round_info(round_), infos, reports, as_of, options)


# -- render -----------------------------------------------------------------------------------------


def render_notice(document: NoticeDocument, fmt: NoticeFormat) -> str | bytes:
    """The notice in one format: ``str`` for txt, md and html; ``bytes`` for docx and pdf."""
    from tasks.notice.text import render_html, render_markdown, render_text

    if fmt == "txt":
        return render_text(document)
    if fmt == "md":
        return render_markdown(document)
    if fmt == "html":
        return render_html(document)
    from tasks.notice.docx import render_docx

    docx = render_docx(document)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        from tasks.notice.pdf import docx_to_pdf

        return docx_to_pdf(docx)
    raise ValueError(f"unknown notice format {fmt!r} (known: {', '.join(FORMATS)})")


def content_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def content_sha256(content: str | bytes) -> str:
    return hashlib.sha256(content_bytes(content)).hexdigest()


def check_missing(document: NoticeDocument) -> None:
    """Raise ``MissingReports`` when any measure has no report as of the notice date (``--strict``)."""
    if document.missing:
        raise MissingReports([str(m) for m in document.missing], document.as_of.isoformat())


# -- write and record -------------------------------------------------------------------------------


def write_notice_file(path: Path, content: str | bytes) -> str:
    """Write the notice atomically (temp file + rename); return its SHA-256."""
    data = content_bytes(content)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class NoticeOutput:
    """One generated notice: what was written where, its version and the reports it lacked."""

    round_code: str
    as_of: date
    format: str
    path: Path | None
    sha256: str
    version: int
    missing: tuple[str, ...]


@dataclass(frozen=True)
class NoticeDirectory:
    """A target meaning: write into this directory under the default name, which carries the version."""

    path: Path


# Where one rendering goes: an explicit file (a user's ``-o``: overwritten when asked for again), a
# directory (a new file per version, never overwriting a recorded one), or nowhere (stdout).
NoticeTarget = Path | NoticeDirectory | None


def default_notice_path(
    directory: Path, round_code: str, as_of: date, fmt: str, version: int | None = None
) -> Path:
    """``<dir>/<round>_<YYYY-MM-DD>_v<version>.<fmt>``.

    Without ``version`` the older unversioned name ``<round>_<YYYY-MM-DD>.<fmt>``, which a later
    generation overwrites: pass a ``NoticeDirectory`` target instead.
    """
    suffix = f"_v{version}" if version is not None else ""
    return directory / f"{round_code}_{as_of.isoformat()}{suffix}.{fmt}"


def record_notice_outputs(
    session: Session,
    document: NoticeDocument,
    rendered: Sequence[tuple[str, NoticeTarget, str | bytes]],
    *,
    requested_by: str,
) -> list[NoticeOutput]:
    """Write and record already rendered notices as the round's next ``GeneratedNotice`` version.

    Every format of one generation shares the version (``…_v3.md`` and ``…_v3.docx``).

    The versions are taken in this transaction, serialised per round: a no-op UPDATE of the round's
    row comes first, which takes the row lock on PostgreSQL (a second generation waits for this
    one to commit) and the database write lock on SQLite (whose SELECTs take none), so ``max + 1``
    cannot be read by two writers at once. The unique (round_id, version, format) constraint still guards.
    A ``NoticeDirectory`` target is written as ``default_notice_path(..., version)``, so no
    recorded file is ever overwritten; an explicit path is written as given. Files are written
    before the commit: if it fails, they hold versions never recorded, which the next generation
    takes again and overwrites. The caller commits.
    """
    round_code, as_of = document.round_code, document.as_of
    round_id = session.scalar(select(Round.id).where(Round.code == round_code))
    if round_id is None:
        raise UnknownRound(f"no round '{round_code}'")
    session.execute(
        update(Round)
        .where(Round.id == round_id)
        .values(updated_at=Round.updated_at)
        .execution_options(synchronize_session=False)
    )
    latest = session.scalar(
        select(func.max(GeneratedNotice.version)).where(GeneratedNotice.round_id == round_id)
    )
    missing = tuple(str(m) for m in document.missing)
    outputs = []
    version = (latest or 0) + 1  # one generation, one version, whatever the formats
    for fmt, target, content in rendered:
        path = (
            default_notice_path(target.path, round_code, as_of, fmt, version)
            if isinstance(target, NoticeDirectory)
            else target
        )
        sha256 = write_notice_file(path, content) if path is not None else content_sha256(content)
        session.add(
            GeneratedNotice(
                round_id=round_id,
                version=version,
                as_of=as_of,
                format=fmt,
                sha256=sha256,
                path=str(path) if path is not None else None,
                requested_by=requested_by,
                missing_reports=len(missing),
            )
        )
        outputs.append(NoticeOutput(round_code, as_of, fmt, path, sha256, version, missing))
    session.flush()
    return outputs


# -- whole steps for the CLI and the demo ---------------------------------------------------------


def generate_notices(
    database: Database,
    round_code: str,
    targets: Sequence[tuple[NoticeFormat, NoticeTarget]],
    *,
    as_of: date,
    timezone: str,
    requested_by: str,
    strict: bool = False,
) -> list[tuple[NoticeOutput, str | bytes]]:
    """Build the notice once, render every target, then write and record them all in one transaction.

    Nothing is written or recorded unless every format rendered (a PDF without LibreOffice leaves no
    Markdown behind); with ``strict`` a missing report raises ``MissingReports`` before anything is.
    """
    with database.unit_of_work() as session:
        document = load_notice_document(session, round_code, as_of, timezone=timezone)
    if strict:
        check_missing(document)
    rendered = [(fmt, target, render_notice(document, fmt)) for fmt, target in targets]
    with database.unit_of_work() as session:
        outputs = record_notice_outputs(session, document, rendered, requested_by=requested_by)
        session.commit()
    return [(output, content) for output, (_fmt, _target, content) in zip(outputs, rendered, strict=True)]


def write_notice(
    settings: Settings,
    round_code: str,
    *,
    formats: Sequence[NoticeFormat] = ("md", "docx"),
    as_of: date | None = None,
    directory: Path | None = None,
    requested_by: str = "zhenggai",
    strict: bool = False,
) -> list[NoticeOutput]:
    """Write a round's notice in each format into ``directory`` (default: the data directory's notices/).

    Files are named ``<round>_<as-of>_v<version>.<fmt>``, one ``GeneratedNotice`` version each.
    ``as_of`` defaults to today in the configured timezone.
    """
    from models.db import get_database

    as_of = as_of or today_in(settings.timezone)
    target = NoticeDirectory(directory or settings.notices_dir)
    results = generate_notices(
        get_database(settings),
        round_code,
        [(fmt, target) for fmt in formats],
        as_of=as_of,
        timezone=settings.timezone,
        requested_by=requested_by,
        strict=strict,
    )
    return [output for output, _ in results]


# -- helpers for the generate_notice flow -----------------------------------------------------------


def today_in(timezone: str) -> date:
    """Today in the configured timezone (the default as-of date): ``models.rules.local_date`` of now."""
    return local_date(datetime.now(UTC), timezone)


def monthly_notice_rounds(session: Session) -> list[str]:
    """Codes of the rounds whose notice options ask for a monthly notice (``notice: {monthly: true}``)."""
    rounds = session.execute(select(Round.code, Round.notice_options).order_by(Round.code))
    return [code for code, options in rounds if (options or {}).get("monthly") is True]


def artifact_key(round_code: str) -> str:
    """A Prefect artifact key for a round's notice: lowercase letters, digits and dashes only."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in round_code.lower()).strip("-")
    return f"notice-{slug or 'round'}"


def notice_artifact_markdown(document: NoticeDocument, outputs: Sequence[NoticeOutput]) -> str:
    """The Markdown artifact of a generation: what was written, what is missing, then the notice itself."""
    from tasks.notice.text import render_markdown

    lines = [f"**{document.round_code}** as of {document.as_of.isoformat()}", ""]
    for output in outputs:
        where = f"`{output.path}`" if output.path is not None else "(not written)"
        lines.append(f"- {output.format}: {where}, version {output.version}, sha256 `{output.sha256[:12]}`")
    if document.missing:
        lines += ["", f"**{len(document.missing)} measure(s) without a report** (marked 【待报送】):", ""]
        lines += [f"- {item}" for item in document.missing]
    lines += ["", "---", "", render_markdown(document)]
    return "\n".join(lines)
