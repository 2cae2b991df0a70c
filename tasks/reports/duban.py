"""A 督办单 as its unit and the coordinators see it: read (with its stored files), signed for (签收) and replied
to (a written reply, or a report that answers it), each answer kept with who and when.

Who may read a sheet is who may read its measure (``tasks.reports.access.check_measure_access``): the unit
that owns it (lead, co-unit, a collective's member) and coordinators and leaders; only a unit signs and
replies. Every function takes a session and never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from models.duban import COLOUR, REPLY_MAX, SheetFacts, sheet_ref, title
from models.enums import TokenRole
from models.errors import Forbidden, InvalidDubanReply, UnknownDubanSheet
from models.tables import DubanResponse, DubanSheet, DubanSheetFile, Measure, Report, Unit
from models.text import normalise_text
from tasks.ledger.duban import facts_of, find_sheet
from tasks.reports.access import can_read_everything, check_measure_access
from tasks.reports.tokens import Principal

ACK, REPLY = "ack", "reply"
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class SheetAnswer:
    """A 签收 or a reply: who, when, and what (the text, or the report that answers)."""

    kind: str
    at: datetime
    actor: str
    text: str = ""
    report_id: int | None = None
    unit: str = ""  # the unit's name


@dataclass(frozen=True)
class SheetStanding:
    """A sheet with its files and its unit's answers."""

    id: int
    ref: str  # 2026-12, the sheet's reference in URLs
    facts: SheetFacts
    formats: tuple[str, ...] = ()
    acknowledged: SheetAnswer | None = None
    replies: tuple[SheetAnswer, ...] = ()

    @property
    def title(self) -> str:
        return title(self.facts)

    @property
    def colour(self) -> str:
        return COLOUR[self.facts.level]

    @property
    def answered(self) -> bool:
        return bool(self.replies)


@dataclass(frozen=True)
class ReportChoice:
    """A report the unit may point to as its reply."""

    id: int
    submitted_at: datetime
    excerpt: str


@dataclass
class SheetPage:
    """What the sheet's page shows: the sheet, and the reports its unit may answer with."""

    standing: SheetStanding
    reports: list[ReportChoice] = field(default_factory=list)
    addressee: bool = False  # the visitor is the unit it addresses: it signs and replies


def _standings(session: Session, sheets: list[DubanSheet]) -> list[SheetStanding]:
    ids = [sheet.id for sheet in sheets]
    formats: dict[int, list[str]] = {}
    answers: dict[int, list[DubanResponse]] = {}
    if ids:
        for sheet_id, fmt in session.execute(
            select(DubanSheetFile.sheet_id, DubanSheetFile.format)
            .where(DubanSheetFile.sheet_id.in_(ids))
            .order_by(DubanSheetFile.format)
        ):
            formats.setdefault(sheet_id, []).append(fmt)
        for row in session.scalars(
            select(DubanResponse)
            .where(DubanResponse.sheet_id.in_(ids))
            .order_by(DubanResponse.at, DubanResponse.id)
        ):
            answers.setdefault(row.sheet_id, []).append(row)
    unit_ids = {row.unit_id for rows in answers.values() for row in rows if row.unit_id is not None}
    names: dict[int, str] = {}
    if unit_ids:
        names = {
            uid: name
            for uid, name in session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids)))
        }
    result = []
    for sheet in sheets:
        rows = answers.get(sheet.id, [])
        acks = [_answer(row, names) for row in rows if row.kind == ACK]
        result.append(
            SheetStanding(
                id=sheet.id,
                ref=sheet_ref(sheet.year, sheet.serial),
                facts=facts_of(sheet),
                formats=tuple(formats.get(sheet.id, ())),
                acknowledged=acks[0] if acks else None,
                replies=tuple(_answer(row, names) for row in rows if row.kind == REPLY),
            )
        )
    return result


def _answer(row: DubanResponse, names: dict[int, str]) -> SheetAnswer:
    unit = names.get(row.unit_id, "") if row.unit_id is not None else ""
    return SheetAnswer(row.kind, row.at, row.actor, row.text, row.report_id, unit)


def _sheet(session: Session, principal: Principal, ref: str) -> DubanSheet:
    """The sheet ``2026-12`` if the principal may read it; a unit is refused an unknown sheet and another
    unit's alike (``Forbidden``), so nothing leaks."""
    year, _, serial = ref.partition("-")
    sheet = None
    if year.isdigit() and serial.isdigit() and len(year) == 4 and len(serial) <= 9:
        sheet = session.scalar(
            select(DubanSheet).where(DubanSheet.year == int(year), DubanSheet.serial == int(serial))
        )
    if can_read_everything(principal):
        if sheet is None:
            raise UnknownDubanSheet(f"no 督办单 '{ref}'")
        return sheet
    if sheet is None:
        raise Forbidden("sheet", f"no 督办单 '{ref}' of unit '{principal.unit_code}'")
    check_measure_access(session, principal, sheet.measure_code)
    return sheet


def sheet_page(session: Session, principal: Principal, ref: str) -> SheetPage:
    """A sheet as the principal sees it, with the unit's reports on its measure to answer with."""
    sheet = _sheet(session, principal, ref)
    [standing] = _standings(session, [sheet])
    reports = []
    addressee = is_addressee(session, principal, sheet)
    if addressee and sheet.measure_id is not None:
        for report in session.scalars(
            _answering_reports(sheet, principal).order_by(Report.submitted_at.desc())
        ):
            excerpt = report.text if len(report.text) <= 40 else report.text[:40] + "…"
            reports.append(ReportChoice(report.id, report.submitted_at, excerpt))
    return SheetPage(standing, reports, addressee)


def _answering_reports(sheet: DubanSheet, principal: Principal) -> Select[tuple[Report]]:
    """The reports on the sheet's measure the unit may point to: its own, or the measure's unattributed ones."""
    return select(Report).where(
        Report.measure_id == sheet.measure_id,
        or_(Report.unit_id == principal.unit_id, Report.unit_id.is_(None)),
    )


def standing_of(session: Session, number: str) -> SheetStanding:
    """A sheet by its number (as ``tasks.ledger.duban.find_sheet`` reads it) with its files and answers, for the
    operator's CLI (no access rule: the CLI holds the ledger)."""
    found = find_sheet(session, number)
    sheet = session.scalar(select(DubanSheet).where(DubanSheet.number == found.number))
    assert sheet is not None
    [standing] = _standings(session, [sheet])
    return standing


def sheets_of_measure(session: Session, measure_id: int) -> list[SheetStanding]:
    """The sheets issued on a measure, oldest first (its page lists them)."""
    query = select(DubanSheet).where(DubanSheet.measure_id == measure_id)
    return _standings(session, list(session.scalars(query.order_by(DubanSheet.year, DubanSheet.serial))))


def all_sheets(session: Session, round_code: str | None = None) -> list[SheetStanding]:
    """Every sheet with its answers, newest first (the desk's list; one round's with ``round_code``)."""
    query = select(DubanSheet).order_by(DubanSheet.year.desc(), DubanSheet.serial.desc())
    if round_code is not None:
        query = query.where(DubanSheet.round_code == round_code)
    return _standings(session, list(session.scalars(query)))


def sheet_file(session: Session, principal: Principal, ref: str, fmt: str) -> tuple[str, str, str]:
    """The stored ``fmt`` file of a sheet the principal may read: (path in the data directory, media type,
    download name); ``LookupError`` when that format is not stored."""
    sheet = _sheet(session, principal, ref)
    path = session.scalar(
        select(DubanSheetFile.path).where(DubanSheetFile.sheet_id == sheet.id, DubanSheetFile.format == fmt)
    )
    if path is None or fmt not in MEDIA_TYPES:
        raise LookupError(f"督办单 '{ref}' has no {fmt} file")
    return path, MEDIA_TYPES[fmt], f"{sheet.number}.{fmt}"


def is_addressee(session: Session, principal: Principal, sheet: DubanSheet) -> bool:
    """Whether the principal is the unit the sheet addresses: the member of a collective it names, else the
    measure's lead unit (co-units read it; they neither sign nor reply)."""
    if principal.role != TokenRole.UNIT or principal.unit_id is None:
        return False
    if sheet.member:
        return principal.unit_code == sheet.member
    lead = session.scalar(select(Measure.lead_unit_id).where(Measure.id == sheet.measure_id))
    return lead == principal.unit_id


def _unit_sheet(session: Session, principal: Principal, ref: str) -> DubanSheet:
    sheet = _sheet(session, principal, ref)
    if not is_addressee(session, principal, sheet):
        raise Forbidden("role", "only the unit a 督办单 addresses signs for it and replies")
    return sheet


def acknowledge_sheet(
    session: Session, principal: Principal, ref: str, *, actor: str, now: datetime
) -> DubanResponse:
    """签收 a sheet: recorded once (signing again answers the first 签收)."""
    sheet = _unit_sheet(session, principal, ref)
    existing = session.scalar(
        select(DubanResponse).where(DubanResponse.sheet_id == sheet.id, DubanResponse.kind == ACK)
    )
    if existing is not None:
        return existing
    ack = DubanResponse(
        sheet_id=sheet.id,
        kind=ACK,
        unit_id=principal.unit_id,
        token_id=principal.token_id,
        actor=actor[:100],
        at=now,
    )
    session.add(ack)
    session.flush()
    return ack


def reply_to_sheet(
    session: Session,
    principal: Principal,
    ref: str,
    *,
    text: str,
    report_id: int | None,
    actor: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> DubanResponse:
    """Reply to a sheet with a written text, or by pointing to a report on its measure (or both).

    A reply signs for the sheet too when the unit had not. ``InvalidDubanReply`` names the field of what
    is missing or refused; a repeated ``idempotency_key`` answers the reply it recorded."""
    if idempotency_key:
        same = session.scalar(select(DubanResponse).where(DubanResponse.idempotency_key == idempotency_key))
        if same is not None:
            return same
    sheet = _unit_sheet(session, principal, ref)
    try:
        text = normalise_text(text, "text").strip()
    except ValueError as error:
        raise InvalidDubanReply("text", f"回复内容含有不能保存的字符：{error}") from None
    if len(text) > REPLY_MAX:
        raise InvalidDubanReply("text", f"书面回复不超过{REPLY_MAX}字")
    if report_id is not None:
        found = session.scalar(_answering_reports(sheet, principal).where(Report.id == report_id))
        if found is None:
            raise InvalidDubanReply("report", "所选报告不是本单位对这项整改措施的报告")
    if not text and report_id is None:
        raise InvalidDubanReply("text", "请填写书面回复，或选择一份已报送的进展报告")
    acknowledge_sheet(session, principal, ref, actor=actor, now=now)
    reply = DubanResponse(
        sheet_id=sheet.id,
        kind=REPLY,
        text=text,
        report_id=report_id,
        unit_id=principal.unit_id,
        token_id=principal.token_id,
        actor=actor[:100],
        at=now,
        idempotency_key=idempotency_key,
    )
    session.add(reply)
    session.flush()
    return reply
