"""督办单 in the ledger: issued once when an escalation step 蓝/黄/红 is recorded, numbered per year, found
by number, listed (see ``models.duban`` for what a sheet says)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.duban import SheetFacts, SheetNumber
from models.errors import UnknownDubanSheet
from models.notifications import EscalationStep
from models.tables import DubanNumberCounter, DubanSheet, StatusEvent
from tasks.ledger.counters import lock_counter, next_serial


def sheet_year(step: EscalationStep) -> int:
    """The year a step's sheet is numbered in: the step's day's."""
    assert step.day is not None, "an escalation step that issues a 督办单 carries its day"
    return step.day.year


def lock_numbering(session: Session, steps: Iterable[EscalationStep]) -> None:
    """Queue behind any other writer numbering sheets, before recording the steps (see ``lock_counter``).

    Only when a step that issues a sheet is not recorded yet: the sweeps of a measure long at 蓝色督办
    take no lock (a step another writer records meanwhile is then recorded by it, not here)."""
    steps = [step for step in steps if step.issues_sheet]
    if not steps:
        return
    recorded = set(
        session.scalars(
            select(StatusEvent.dedupe_key).where(StatusEvent.dedupe_key.in_({s.dedupe_key for s in steps}))
        )
    )
    for year in sorted({sheet_year(step) for step in steps if step.dedupe_key not in recorded}):
        lock_counter(session, DubanNumberCounter, year)


def issue_sheet(
    session: Session,
    step: EscalationStep,
    *,
    code: str,
    issuer: str,
    reply_workdays: int,
    round_code: str = "",
) -> DubanSheet:
    """Number and store the 督办单 a newly recorded step issues; the caller commits."""
    assert step.issues_sheet and step.reply_by is not None and step.day is not None
    year = sheet_year(step)
    number = SheetNumber(code, year, next_serial(session, DubanNumberCounter, year))
    sheet = DubanSheet(
        number=str(number),
        year=year,
        serial=number.serial,
        step_key=step.dedupe_key,
        measure_id=step.measure_id,
        round_code=round_code,
        measure_code=step.measure_code,
        member=step.member,
        level=step.level.value,
        unit=step.unit,
        leader=step.leader,
        measure_text=step.measure_text,
        problem=step.problem,
        deadline=step.deadline,
        overdue_workdays=step.overdue_workdays
        if step.missed_periods is None and step.unsigned is None
        else None,
        missed_periods=step.missed_periods,
        unsigned_workdays=step.unsigned_workdays,
        issued_on=step.day,
        reply_by=step.reply_by,
        reply_workdays=reply_workdays,
        issuer=issuer or step.issuer or "督办室",
    )
    session.add(sheet)
    session.flush()
    return sheet


def sheet_numbers(session: Session, step_keys: Iterable[str]) -> dict[str, str]:
    """The numbers of the sheets the steps with these keys issued, by step key."""
    keys = list(set(step_keys))
    if not keys:
        return {}
    query = select(DubanSheet.step_key, DubanSheet.number).where(DubanSheet.step_key.in_(keys))
    return {key: number for key, number in session.execute(query)}


def facts_of(sheet: DubanSheet) -> SheetFacts:
    return SheetFacts(
        number=sheet.number,
        level=sheet.level,
        measure_code=sheet.measure_code,
        measure_text=sheet.measure_text,
        problem=sheet.problem,
        unit=sheet.unit,
        leader=sheet.leader,
        deadline=sheet.deadline,
        overdue_workdays=sheet.overdue_workdays,
        missed_periods=sheet.missed_periods,
        issued_on=sheet.issued_on,
        reply_by=sheet.reply_by,
        reply_workdays=sheet.reply_workdays,
        issuer=sheet.issuer,
        unsigned_workdays=sheet.unsigned_workdays,
    )


def find_sheet(session: Session, number: str) -> SheetFacts:
    """The sheet numbered ``number`` (``督办〔2026〕12号``, or ``〔2026〕12号``/``2026-12`` without the 代字)."""
    sheet = session.scalar(select(DubanSheet).where(DubanSheet.number == number.strip()))
    if sheet is None:
        import re

        match = re.fullmatch(r"\s*\S*?[〔\[(（]?(\d{4})[〕\])）-]\s*(\d+)\s*号?\s*", number)
        if match:
            sheet = session.scalar(
                select(DubanSheet).where(
                    DubanSheet.year == int(match.group(1)), DubanSheet.serial == int(match.group(2))
                )
            )
    if sheet is None:
        raise UnknownDubanSheet(
            f"no 督办单 numbered '{number}' (zhenggai duban list shows the numbers, e.g. 督办〔2026〕1号)"
        )
    return facts_of(sheet)


def list_sheets(session: Session, round_code: str | None = None) -> list[SheetFacts]:
    """Every 督办单, oldest first (one round's with ``round_code``)."""
    query = select(DubanSheet).order_by(DubanSheet.year, DubanSheet.serial)
    if round_code is not None:
        query = query.where(DubanSheet.round_code == round_code)
    return [facts_of(sheet) for sheet in session.scalars(query)]
