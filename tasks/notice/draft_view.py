"""A draft as the desk shows it: each paragraph with the reports it quotes (unit, time, text, held back
or not), its 【待报送】 markers, and the reports submitted since that it does not quote yet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.enums import DraftStatus
from models.notice_draft import paragraph_label
from models.tables import NoticeDecision, NoticeEdit, NoticePublication, Report, ReportHold
from tasks.notice.drafts import assemble, draft_history, get_draft, paragraphs_of


@dataclass(frozen=True)
class QuotedReport:
    """A report as the page shows it."""

    id: int
    unit: str
    submitted_at: datetime
    text: str


@dataclass(frozen=True)
class SourceView:
    """A measure a paragraph quotes: the report quoted (None: 【待报送】 or held back), whether that
    report is held back (the reason), and a newer report the paragraph does not quote yet."""

    measure: str
    report: QuotedReport | None
    held: str | None
    newer: QuotedReport | None


@dataclass(frozen=True)
class ParagraphView:
    """A paragraph with its flags and sources."""

    key: str
    label: str
    text: str
    assembled: str
    edited: bool
    stale_edit: str | None
    has_missing: bool
    sources: tuple[SourceView, ...]

    @property
    def has_newer(self) -> bool:
        return any(s.newer is not None for s in self.sources)


@dataclass(frozen=True)
class HistoryLine:
    """An edit or a decision as the page lists it (``kind``: edit, approve, return)."""

    at: datetime
    actor: str
    kind: str
    key: str = ""
    note: str = ""
    source: str = ""


def _history_line(event: NoticeEdit | NoticeDecision) -> HistoryLine:
    if isinstance(event, NoticeEdit):
        return HistoryLine(event.at, event.actor, "edit", key=event.key, source=event.source)
    return HistoryLine(event.at, event.actor, event.decision.value, note=event.note, source=event.source)


@dataclass(frozen=True)
class DraftView:
    """A draft, its paragraphs, its history and its number once published."""

    id: int
    round_code: str
    as_of: date
    status: DraftStatus
    created_by: str
    created_at: datetime
    based_on_id: int | None
    number: str | None
    paragraphs: tuple[ParagraphView, ...]
    history: tuple[HistoryLine, ...]

    @property
    def missing(self) -> list[str]:
        return [p.label for p in self.paragraphs if p.has_missing]


def _quoted(report: Report) -> QuotedReport:
    return QuotedReport(report.id, report.unit.name if report.unit else "", report.submitted_at, report.text)


def draft_view(session: Session, draft_id: int, clock: Clock) -> DraftView:
    """The draft ``草稿 N`` with each paragraph's sources, as of the clock's day for the newer reports."""
    draft = get_draft(session, draft_id)
    label = str((draft.round.notice_options or {}).get("label") or "整改成效")
    paragraphs = paragraphs_of(draft)
    now = {
        p.key: {s.measure: s.report for s in p.sources}
        for p in assemble(session, draft.round.code, clock).paragraphs
    }
    quoted_ids = {s.report for p in paragraphs for s in p.sources if s.report is not None}
    newer_ids = {
        current
        for p in paragraphs
        for s in p.sources
        if (current := now.get(p.key, {}).get(s.measure)) is not None and current != s.report
    }
    reports = {
        r.id: r
        for r in session.scalars(
            select(Report).where(Report.id.in_(quoted_ids | newer_ids)).options(selectinload(Report.unit))
        )
    }
    holds = dict(
        session.execute(
            select(ReportHold.report_id, ReportHold.reason).where(ReportHold.report_id.in_(quoted_ids))
        )
        .tuples()
        .all()
    )
    views = []
    for paragraph in paragraphs:
        sources = []
        for source in paragraph.sources:
            current = now.get(paragraph.key, {}).get(source.measure)
            newer = reports.get(current) if current is not None and current != source.report else None
            quoted = reports.get(source.report) if source.report is not None else None
            sources.append(
                SourceView(
                    measure=source.measure,
                    report=_quoted(quoted) if quoted is not None else None,
                    held=holds.get(source.report) if source.report is not None else None,
                    newer=_quoted(newer) if newer is not None else None,
                )
            )
        views.append(
            ParagraphView(
                key=paragraph.key,
                label=paragraph_label(paragraph.key, label),
                text=paragraph.text,
                assembled=paragraph.assembled,
                edited=paragraph.edited,
                stale_edit=paragraph.stale_edit,
                has_missing=paragraph.has_missing,
                sources=tuple(sources),
            )
        )
    number = session.scalar(select(NoticePublication.number).where(NoticePublication.draft_id == draft.id))
    return DraftView(
        id=draft.id,
        round_code=draft.round.code,
        as_of=draft.as_of,
        status=draft.status,
        created_by=draft.created_by,
        created_at=draft.created_at,
        based_on_id=draft.based_on_id,
        number=number,
        paragraphs=tuple(views),
        history=tuple(_history_line(e) for e in draft_history(session, draft.id)),
    )
