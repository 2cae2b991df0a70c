"""The progress notice from the ledger: query, render, write the file, record the version.

Each step is a plain function (the Prefect tasks in ``tasks/notice_tasks.py`` wrap them):

- ``load_notice_document(session, round_code, as_of, timezone)`` reads the ledger in a handful of SQL
  statements (round; problems with measures and lead units; the latest reports as of the end of the
  day; status events) and builds the ``models.notice.NoticeDocument``;
- ``render_notice(document, fmt)`` returns ``str`` (txt, md, html) or ``bytes`` (docx, pdf);
- ``write_notice_file(path, content)`` writes atomically and returns the SHA-256;
- ``record_generated_notice(session, ...)`` appends a versioned ``GeneratedNotice``.

``generate_notices`` and ``write_notice`` chain them for the CLI and ``zhenggai demo``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

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
from models.tables import (
    GeneratedNotice,
    Measure,
    MeasureStatus,
    Problem,
    Report,
    ReportStatus,
    Round,
    StatusEvent,
    Unit,
)
from tasks.queries import end_of_day

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


def _statuses_as_of(session: Session, round_id: int, cutoff: datetime) -> dict[int, tuple[datetime, str]]:
    """The last recorded status change of each measure of a round up to ``cutoff`` (one statement)."""
    rows = session.execute(
        select(StatusEvent.measure_id, StatusEvent.at, StatusEvent.to_value)
        .join(Measure, Measure.id == StatusEvent.measure_id)
        .join(Problem, Problem.id == Measure.problem_id)
        .where(
            Problem.round_id == round_id,
            StatusEvent.kind == "status",
            StatusEvent.at <= cutoff,
            StatusEvent.to_value.is_not(None),
        )
        .order_by(StatusEvent.at, StatusEvent.id)
    )
    last: dict[int, tuple[datetime, str]] = {}
    for measure_id, at, to_value in rows:
        last[measure_id] = (at, to_value)
    return last


@dataclass(frozen=True)
class LatestReport:
    """The columns of a measure's latest standing report that the notice needs."""

    measure_id: int
    submitted_at: datetime
    text: str
    claimed_status: ReportStatus


def latest_report_rows(session: Session, round_id: int, cutoff: datetime) -> dict[int, LatestReport]:
    """Per live measure of the round, its latest report submitted up to ``cutoff`` that no report
    submitted up to ``cutoff`` supersedes: the rule of ``tasks.queries.latest_reports``, in one
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
    (for the statistics) is whichever is later: its last status change recorded by then, or its
    latest report by then (done when the report claims done, in progress otherwise).
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
                status=_status_as_of(statuses.get(measure.id), report),
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


def _status_as_of(event: tuple[datetime, str] | None, report: LatestReport | None) -> MeasureStatus:
    report_status: tuple[datetime, MeasureStatus] | None = None
    if report is not None:
        claimed = (
            MeasureStatus.DONE if report.claimed_status == ReportStatus.DONE else MeasureStatus.IN_PROGRESS
        )
        report_status = (report.submitted_at, claimed)
    if event is None:
        return report_status[1] if report_status else MeasureStatus.PLANNED
    event_status = (event[0], MeasureStatus(event[1]))
    if report_status is None or event_status[0] >= report_status[0]:
        return event_status[1]
    return report_status[1]


# -- render -----------------------------------------------------------------------------------------


def render_notice(document: NoticeDocument, fmt: NoticeFormat) -> str | bytes:
    """The notice in one format: ``str`` for txt, md and html; ``bytes`` for docx and pdf."""
    from tasks.notice_render import render_html, render_markdown, render_text

    if fmt == "txt":
        return render_text(document)
    if fmt == "md":
        return render_markdown(document)
    if fmt == "html":
        return render_html(document)
    from tasks.notice_docx import render_docx

    docx = render_docx(document)
    if fmt == "docx":
        return docx
    if fmt == "pdf":
        from tasks.notice_pdf import docx_to_pdf

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


def record_generated_notice(
    session: Session,
    round_code: str,
    *,
    as_of: date,
    fmt: str,
    sha256: str,
    path: Path | None,
    requested_by: str,
    missing_reports: int,
    attempts: int = 5,
) -> GeneratedNotice:
    """Append the next version of the round's generated notices (retried if another writer took it)."""
    round_id = session.scalar(select(Round.id).where(Round.code == round_code))
    if round_id is None:
        raise UnknownRound(f"no round '{round_code}'")
    for attempt in range(attempts):
        version = (
            session.scalar(
                select(func.max(GeneratedNotice.version)).where(GeneratedNotice.round_id == round_id)
            )
            or 0
        ) + 1
        record = GeneratedNotice(
            round_id=round_id,
            version=version,
            as_of=as_of,
            format=fmt,
            sha256=sha256,
            path=str(path) if path is not None else None,
            requested_by=requested_by,
            missing_reports=missing_reports,
        )
        try:
            with session.begin_nested():
                session.add(record)
                session.flush()
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            continue
        return record
    raise AssertionError("unreachable")


# -- whole steps for the CLI and the demo ---------------------------------------------------------


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


def default_notice_path(directory: Path, round_code: str, as_of: date, fmt: str) -> Path:
    """``<dir>/<round>_<YYYY-MM-DD>.<fmt>``."""
    return directory / f"{round_code}_{as_of.isoformat()}.{fmt}"


def generate_notices(
    database: Database,
    round_code: str,
    targets: Sequence[tuple[NoticeFormat, Path | None]],
    *,
    as_of: date,
    timezone: str,
    requested_by: str,
    strict: bool = False,
) -> list[tuple[NoticeOutput, str | bytes]]:
    """Build the notice once, then render, write (when a path is given) and record it per target.

    With ``strict`` a missing report raises ``MissingReports`` before anything is written.
    """
    with database.unit_of_work() as session:
        document = load_notice_document(session, round_code, as_of, timezone=timezone)
    if strict:
        check_missing(document)
    missing = tuple(str(m) for m in document.missing)
    results = []
    for fmt, output in targets:
        content = render_notice(document, fmt)
        sha256 = write_notice_file(output, content) if output is not None else content_sha256(content)
        with database.unit_of_work() as session:
            record = record_generated_notice(
                session,
                round_code,
                as_of=as_of,
                fmt=fmt,
                sha256=sha256,
                path=output,
                requested_by=requested_by,
                missing_reports=len(missing),
            )
            version = record.version
            session.commit()
        results.append((NoticeOutput(round_code, as_of, fmt, output, sha256, version, missing), content))
    return results


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

    Files are named ``<round>_<as-of>.<fmt>``; each gets a versioned ``GeneratedNotice`` record.
    ``as_of`` defaults to today in the configured timezone.
    """
    from zoneinfo import ZoneInfo

    from models.db import get_database

    as_of = as_of or datetime.now(ZoneInfo(settings.timezone)).date()
    directory = directory or settings.notices_dir
    targets = [(fmt, default_notice_path(directory, round_code, as_of, fmt)) for fmt in formats]
    results = generate_notices(
        get_database(settings),
        round_code,
        targets,
        as_of=as_of,
        timezone=settings.timezone,
        requested_by=requested_by,
        strict=strict,
    )
    return [output for output, _ in results]


# -- helpers for the generate_notice flow -----------------------------------------------------------


def local_today(timezone: str) -> date:
    """Today in the configured timezone (the default as-of date)."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(timezone)).date()


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
    from tasks.notice_render import render_markdown

    lines = [f"**{document.round_code}** as of {document.as_of.isoformat()}", ""]
    for output in outputs:
        where = f"`{output.path}`" if output.path is not None else "(not written)"
        lines.append(f"- {output.format}: {where}, version {output.version}, sha256 `{output.sha256[:12]}`")
    if document.missing:
        lines += ["", f"**{len(document.missing)} measure(s) without a report** (marked 【待报送】):", ""]
        lines += [f"- {item}" for item in document.missing]
    lines += ["", "---", "", render_markdown(document)]
    return "\n".join(lines)
