"""Notice drafts in the ledger: made from the latest reports, edited, decided on, numbered and published.

Every function takes the caller's session and never commits. The rules (what is carried forward, what
a draft in its state may do, numbers) are ``models.notice_draft``'s; this module reads and writes rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.enums import DraftDecision, DraftStatus
from models.errors import (
    DraftLocked,
    DuplicateNoticeNumber,
    InvalidDraftEdit,
    UnknownContact,
    UnknownDraft,
    UnknownRound,
)
from models.notice import NoticeDocument
from models.notice_draft import (
    DraftParagraph,
    NoticeNumber,
    ParagraphChange,
    Source,
    apply_paragraphs,
    assemble_paragraphs,
    carry_forward,
    changes,
    check_decidable,
    check_editable,
    check_publishable,
    paragraph_label,
    parse_number,
    stale_keys,
    status_after_edit,
)
from models.tables import (
    Contact,
    Measure,
    NoticeDecision,
    NoticeDraft,
    NoticeEdit,
    NoticeNumberCounter,
    NoticeParagraph,
    NoticePublication,
    Report,
    ReportHold,
    Round,
)
from models.text import ID_MAX
from tasks.ledger.counters import ensure_counter, next_serial
from tasks.ledger.queries import latest_reports
from tasks.notice.files import NoticeOutput, NoticeTarget, record_notice_outputs
from tasks.notice.load import load_notice_document


@dataclass(frozen=True)
class Assembly:
    """A round's notice as of a day, and its paragraphs with the reports each quotes."""

    document: NoticeDocument
    paragraphs: list[DraftParagraph]


def assemble(session: Session, round_code: str, clock: Clock) -> Assembly:
    """The notice as of the clock's day cut into paragraphs; reports held back are left out."""
    round_id = session.scalar(select(Round.id).where(Round.code == round_code))
    if round_id is None:
        raise UnknownRound(f"no round '{round_code}'")
    latest = latest_reports(session, as_of=clock.on(clock.today).now, round_id=round_id)
    report_ids = {r.report_id for r in latest.values()}
    held = set(session.scalars(select(ReportHold.report_id).where(ReportHold.report_id.in_(report_ids))))
    codes = dict(
        session.execute(select(Report.id, Report.measure_id).where(Report.id.in_(report_ids))).tuples().all()
    )
    measure_codes = dict(
        session.execute(select(Measure.id, Measure.code).where(Measure.id.in_(set(codes.values()))))
        .tuples()
        .all()
    )
    quoted: dict[str, int | None] = {}
    withheld: set[str] = set()
    for report in latest.values():
        code = measure_codes[codes[report.report_id]]
        if report.report_id in held:
            withheld.add(code)
        else:
            quoted[code] = report.report_id
    document = load_notice_document(session, round_code, clock, withheld=withheld)
    return Assembly(document, assemble_paragraphs(document, quoted))


def get_draft(session: Session, draft_id: int) -> NoticeDraft:
    """The draft ``草稿 N`` with its round and paragraphs."""
    if not 1 <= draft_id <= ID_MAX:  # a number no table holds is no draft (not a database error)
        raise UnknownDraft(f"no 草稿 {draft_id}")
    draft = session.scalar(
        select(NoticeDraft)
        .where(NoticeDraft.id == draft_id)
        .options(selectinload(NoticeDraft.paragraphs), selectinload(NoticeDraft.round))
    )
    if draft is None:
        raise UnknownDraft(f"no 草稿 {draft_id}")
    return draft


def paragraphs_of(draft: NoticeDraft) -> list[DraftParagraph]:
    """A stored draft's paragraphs as values."""
    return [
        DraftParagraph(
            key=p.key,
            assembled=p.assembled,
            text=p.text,
            sources=tuple(Source.from_dict(s) for s in p.sources),
            edited=p.edited,
            stale_edit=p.stale_edit,
        )
        for p in draft.paragraphs
    ]


def texts_of(draft: NoticeDraft) -> dict[str, str]:
    """Each paragraph's current text by key, in print order."""
    return {p.key: p.text for p in draft.paragraphs}


def latest_draft(session: Session, round_id: int) -> NoticeDraft | None:
    """The round's newest draft (the one the next draft carries edits from)."""
    draft_id = session.scalar(select(func.max(NoticeDraft.id)).where(NoticeDraft.round_id == round_id))
    return get_draft(session, draft_id) if draft_id is not None else None


def create_draft(
    session: Session, round_code: str, clock: Clock, *, actor: str, flow_run_id: str | None = None
) -> NoticeDraft:
    """A new draft of the round as of the clock's day, carrying the previous draft's edits where its
    paragraphs' reports have not changed (the others are flagged with the old edit kept aside)."""
    assembly = assemble(session, round_code, clock)
    round_ = session.scalar(select(Round).where(Round.code == round_code))
    assert round_ is not None  # assemble() checked
    previous = latest_draft(session, round_.id)
    paragraphs = carry_forward(assembly.paragraphs, paragraphs_of(previous) if previous else ())
    draft = NoticeDraft(
        round_id=round_.id,
        as_of=clock.today,
        status=DraftStatus.DRAFTING,
        based_on_id=previous.id if previous else None,
        created_by=actor,
        created_at=clock.now,
        flow_run_id=flow_run_id,
        paragraphs=[
            NoticeParagraph(
                position=position,
                key=p.key,
                text=p.text,
                assembled=p.assembled,
                sources=[s.as_dict() for s in p.sources],
                edited=p.edited,
                stale_edit=p.stale_edit,
            )
            for position, p in enumerate(paragraphs)
        ],
    )
    session.add(draft)
    session.flush()
    return draft


def draft_for_run(session: Session, flow_run_id: str) -> NoticeDraft | None:
    """The draft a draft_notice run made (a resumed run starts again from the top and finds it)."""
    draft_id = session.scalar(select(NoticeDraft.id).where(NoticeDraft.flow_run_id == flow_run_id))
    return get_draft(session, draft_id) if draft_id is not None else None


def missing_labels(draft: NoticeDraft) -> list[str]:
    """The paragraphs that still carry a 【待报送】 marker, in the coordinator's words."""
    return [paragraph_label(p.key) for p in paragraphs_of(draft) if p.has_missing]


def stale_paragraphs(session: Session, draft: NoticeDraft, clock: Clock) -> list[str]:
    """Keys of the draft's paragraphs whose reports changed since it was made (as of the clock's day)."""
    now = assemble(session, draft.round.code, clock)
    return stale_keys(paragraphs_of(draft), now.paragraphs)


# -- edits ------------------------------------------------------------------------------------------


def preview_edits(draft: NoticeDraft, texts: Mapping[str, str]) -> list[ParagraphChange]:
    """What ``apply_edits`` would change (nothing is written); a key the draft lacks is refused."""
    check_editable(draft.id, draft.status)
    current = texts_of(draft)
    unknown = [key for key in texts if key not in current]
    if unknown:
        known = ", ".join(current)
        raise InvalidDraftEdit(f"草稿 {draft.id} has no paragraph {', '.join(unknown)} (it has: {known})")
    empty = [key for key, text in texts.items() if not text.strip()]
    if empty:
        raise InvalidDraftEdit(f"no text for {', '.join(paragraph_label(key) for key in empty)}")
    return changes(current, {key: text.strip() for key, text in texts.items()})


def apply_edits(
    session: Session,
    draft: NoticeDraft,
    texts: Mapping[str, str],
    *,
    actor: str,
    now: datetime,
    source: str = "cli",
) -> list[ParagraphChange]:
    """Replace paragraphs' texts, recording each change (who, when, before → after); an approval or a
    return is answered by the edit: the draft awaits a decision again."""
    found = preview_edits(draft, texts)
    by_key = {p.key: p for p in draft.paragraphs}
    for change in found:
        paragraph = by_key[change.key]
        session.add(
            NoticeEdit(
                draft_id=draft.id,
                key=change.key,
                actor=actor,
                at=now,
                before=change.before,
                after=change.after,
                source=source,
            )
        )
        paragraph.text = change.after
        paragraph.edited = change.after != paragraph.assembled
    if found:
        draft.status = status_after_edit(draft.status)
    session.flush()
    return found


def hold_report(session: Session, report_id: int, reason: str, *, actor: str, now: datetime) -> ReportHold:
    """Mark a report "not for publication" with the reason: the next drafts leave its text out."""
    if not reason.strip():
        raise InvalidDraftEdit("a report is held back only with a reason (--reason)")
    if not 1 <= report_id <= ID_MAX or session.get(Report, report_id) is None:
        raise InvalidDraftEdit(f"no report {report_id}")
    existing = session.scalar(select(ReportHold).where(ReportHold.report_id == report_id))
    if existing is not None:
        raise InvalidDraftEdit(f"report {report_id} is already held back: {existing.reason}")
    hold = ReportHold(report_id=report_id, reason=reason.strip(), actor=actor, at=now)
    session.add(hold)
    session.flush()
    return hold


# -- decisions --------------------------------------------------------------------------------------


def round_head(draft: NoticeDraft) -> str | None:
    """The code of the round's head (负责人): who approves when the CLI is not told."""
    return draft.round.head.code if draft.round.head is not None else None


def check_decider(session: Session, draft: NoticeDraft, code: str) -> str:
    """The contact code of who decides (the CLI's ``--by``, the Prefect form's ``by``), or
    ``UnknownContact``: a decision is recorded under a contact of the ledger, never under a typo."""
    if code.strip() and session.scalar(select(Contact.id).where(Contact.code == code)) is not None:
        return code
    head = round_head(draft)
    hint = f" (the round's head is '{head}')" if head else ""
    raise UnknownContact(f"no contact '{code}': name who decides by a contact's code{hint}")


def decide(
    session: Session,
    draft: NoticeDraft,
    decision: DraftDecision,
    *,
    actor: str,
    now: datetime,
    note: str = "",
    allow_missing: bool = False,
    source: str = "cli",
) -> NoticeDecision:
    """Approve or return a draft awaiting a decision. The status moves by a conditional UPDATE, so of
    two deciders at once (the CLI, the desk and the Prefect form) the first wins and the second is
    refused. Who decides is checked by the front door (``check_decider`` for a contact's code)."""
    check_decidable(draft.id, draft.status, decision, missing_labels(draft), allow_missing=allow_missing)
    target = DraftStatus.APPROVED if decision == DraftDecision.APPROVE else DraftStatus.RETURNED
    moved = session.execute(
        update(NoticeDraft)
        .where(NoticeDraft.id == draft.id, NoticeDraft.status == DraftStatus.DRAFTING)
        .values(status=target)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise DraftLocked(f"草稿 {draft.id} was decided meanwhile: the first decision stands")
    record = NoticeDecision(
        draft_id=draft.id, decision=decision, actor=actor, note=note, at=now, source=source
    )
    session.add(record)
    session.flush()
    session.refresh(draft)
    return record


def last_approval(session: Session, draft_id: int) -> NoticeDecision | None:
    """The approval the draft stands on (its latest decision, when that is an approval)."""
    last = session.scalar(
        select(NoticeDecision)
        .where(NoticeDecision.draft_id == draft_id)
        .order_by(NoticeDecision.at.desc(), NoticeDecision.id.desc())
        .limit(1)
    )
    return last if last is not None and last.decision == DraftDecision.APPROVE else None


# -- publication ------------------------------------------------------------------------------------


def take_number(session: Session, code: str, year: int, requested: str | None = None) -> NoticeNumber:
    """The next number of the year, or the one asked for (refused when taken). Call it first in the
    transaction: its UPDATE of the year's counter row serialises numbering (PostgreSQL's row lock,
    SQLite's write lock) until the caller commits, so two publications never share a number."""
    wanted = parse_number(requested, code) if requested is not None else None
    year = wanted.year if wanted is not None else year
    if wanted is None:
        return NoticeNumber(code, year, next_serial(session, NoticeNumberCounter, year))
    ensure_counter(session, NoticeNumberCounter, year)
    from sqlalchemy import case

    session.execute(
        update(NoticeNumberCounter)
        .where(NoticeNumberCounter.year == year)
        .values(
            last=case(
                (NoticeNumberCounter.last < wanted.serial, wanted.serial), else_=NoticeNumberCounter.last
            )
        )
    )
    taken = session.scalar(
        select(NoticePublication.number).where(
            NoticePublication.year == year, NoticePublication.serial == wanted.serial
        )
    )
    if taken is not None:
        raise DuplicateNoticeNumber(f"{taken} is already published: a correction takes a new number")
    return wanted


def publication_document(
    session: Session, draft: NoticeDraft, clock: Clock, number: NoticeNumber | None = None
) -> NoticeDocument:
    """The draft as a document: the round's notice as of the draft's date with the draft's texts (and the
    publication number as its 发文字号 when given)."""
    from dataclasses import replace

    assembly = assemble(session, draft.round.code, clock.on(draft.as_of))
    document = apply_paragraphs(assembly.document, texts_of(draft))
    return replace(document, document_number=str(number)) if number is not None else document


def publication_path(directory: Path, round_code: str, number: NoticeNumber, fmt: str) -> Path:
    """``notices/<round>_<year>-<serial>.<fmt>`` (ASCII file names: 〔〕 travels badly)."""
    return directory / f"{round_code}_{number.year}-{number.serial:03d}.{fmt}"


def find_publication(session: Session, number: str, code: str) -> NoticePublication:
    """A publication by its number (``〔2026〕3号``)."""
    parsed = parse_number(number, code)
    publication = session.scalar(
        select(NoticePublication).where(
            NoticePublication.year == parsed.year, NoticePublication.serial == parsed.serial
        )
    )
    if publication is None:
        raise UnknownDraft(f"no published notice {parsed}")
    return publication


def record_publication(
    session: Session,
    draft: NoticeDraft,
    document: NoticeDocument,
    number: NoticeNumber,
    rendered: Sequence[tuple[str, NoticeTarget, str | bytes]],
    *,
    actor: str,
    now: datetime,
    replaces: NoticePublication | None = None,
) -> tuple[NoticePublication, list[NoticeOutput]]:
    """Write the rendered formats as the round's next notice version and record the publication with
    its approval; the draft becomes published (once: a conditional UPDATE). The caller commits."""
    check_publishable(draft.id, draft.status)
    approval = last_approval(session, draft.id)
    if approval is None:
        raise DraftLocked(f"草稿 {draft.id} has no approval on record")
    moved = session.execute(
        update(NoticeDraft)
        .where(NoticeDraft.id == draft.id, NoticeDraft.status == DraftStatus.APPROVED)
        .values(status=DraftStatus.PUBLISHED)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise DraftLocked(f"草稿 {draft.id} was published meanwhile")
    outputs = record_notice_outputs(session, document, rendered, requested_by=f"publish {number}")
    publication = NoticePublication(
        draft_id=draft.id,
        round_id=draft.round_id,
        year=number.year,
        serial=number.serial,
        number=str(number),
        approved_by=approval.actor,
        approved_at=approval.at,
        published_by=actor,
        published_at=now,
        replaces_id=replaces.id if replaces is not None else None,
        files=[{"format": o.format, "path": str(o.path), "sha256": o.sha256} for o in outputs],
    )
    session.add(publication)
    session.flush()
    session.refresh(draft)
    return publication, outputs


# -- listing ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftLine:
    """A draft as the list shows it."""

    id: int
    round_code: str
    as_of: date
    status: DraftStatus
    edited: int
    missing: int
    stale_edits: int
    number: str | None


def list_drafts(session: Session, round_code: str | None = None) -> list[DraftLine]:
    """Every draft (of a round), newest first."""
    query = select(NoticeDraft).options(selectinload(NoticeDraft.paragraphs), selectinload(NoticeDraft.round))
    if round_code is not None:
        query = query.join(Round, Round.id == NoticeDraft.round_id).where(Round.code == round_code)
    numbers = dict(
        session.execute(select(NoticePublication.draft_id, NoticePublication.number)).tuples().all()
    )
    lines = []
    for draft in session.scalars(query.order_by(NoticeDraft.id.desc())):
        paragraphs = paragraphs_of(draft)
        lines.append(
            DraftLine(
                id=draft.id,
                round_code=draft.round.code,
                as_of=draft.as_of,
                status=draft.status,
                edited=sum(p.edited for p in paragraphs),
                missing=sum(p.has_missing for p in paragraphs),
                stale_edits=sum(p.stale_edit is not None for p in paragraphs),
                number=numbers.get(draft.id),
            )
        )
    return lines


def draft_history(session: Session, draft_id: int) -> list[NoticeEdit | NoticeDecision]:
    """A draft's edits and decisions in the order they were made."""
    edits = list(session.scalars(select(NoticeEdit).where(NoticeEdit.draft_id == draft_id)))
    decisions = list(session.scalars(select(NoticeDecision).where(NoticeDecision.draft_id == draft_id)))
    events: list[NoticeEdit | NoticeDecision] = [*edits, *decisions]
    return sorted(events, key=lambda e: (e.at, e.id))
