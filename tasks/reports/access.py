"""What a token may see and do: the role rules, ownership checks and the reads they guard.

A unit token reads and reports on the measures its unit owns (as lead or co-unit, or as a member of a
collective that owns them: its own share only), as its own unit and only now; a collective's own token
reads its members' shares and reports for them only when the plan says so; coordinator tokens read everything, report for any unit (a paper report with the time it was
received) and review; leader tokens read everything and change nothing. Every refusal is ``Forbidden``
naming the field. The front doors (the API, the pages) only call these; they hold no rule and no SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from models.enums import TokenRole, UnitKind
from models.errors import Forbidden, UnknownMeasure, UnknownUnit
from models.tables import EvidenceFile, Measure, Report, ReportEvidence, Unit, measure_co_units
from tasks.ledger.collectives import collective_owners, members_of, owning_collective
from tasks.reports.record import report_summary
from tasks.reports.tokens import Principal


def can_read_everything(principal: Principal) -> bool:
    """Coordinators and leaders read every round, unit and measure."""
    return principal.role in (TokenRole.COORDINATOR, TokenRole.LEADER)


def reporting_unit(principal: Principal, unit: str | None, *, submitted_at: datetime | None) -> str | None:
    """The unit a principal's report is recorded for (None: the measure's lead unit), or ``Forbidden``.

    A leader only reads; a unit token reports as its own unit, at the time it reports; a coordinator
    reports for any unit and may say when a paper report was received.
    """
    if principal.role == TokenRole.LEADER:
        raise Forbidden("role", "a leader token may only read")
    if principal.role != TokenRole.UNIT:
        return unit
    if unit is not None and unit != principal.unit_code:
        raise Forbidden("unit", f"a token of unit '{principal.unit_code}' reports as that unit only")
    if submitted_at is not None:
        raise Forbidden("submitted_at", "only a coordinator may set when a report was received")
    return principal.unit_code


def idempotency_scope(principal: Principal) -> str:
    """Whose ``Idempotency-Key`` namespace a request uses, by token identity: a unit token's unit
    (``unit:<code>``: a unit retrying with a new token still stores once) or the role token itself
    (``coordinator#<token id>``). The kinds never share a namespace, even for a unit coded ``coordinator``."""
    if principal.role == TokenRole.UNIT:
        return f"unit:{principal.unit_code or ''}"
    return f"{principal.role.value}#{principal.token_id}"


# What a leader may do on the desk besides reading: the notice sign-off (the editorial issue's), nothing else.
LEADER_ACTIONS = frozenset({"notice_sign_off"})
# The sign-off (审核签发) is the leaders': the coordinators' office drafts and edits the notice, so a
# coordinator approving it would sign off its own text. (The CLI, run by whoever holds the database, names
# the deciding leader with --by instead.)
LEADER_ONLY_ACTIONS = frozenset({"notice_sign_off"})
# Every write the desk offers (pages and the API's review): coordinators may take them all.
DESK_ACTIONS = frozenset(
    {
        "accept",
        "return",
        "reopen",
        "decide_extension",
        "resend",
        "notice_sign_off",
        "confirm",  # a round's review step before 销号 (models.review_steps): a coordinator records it
        "test_send",  # one test message to a contact (the desk's contacts page)
        "notice_edit",  # draft, edit a paragraph, hold a report back (the coordinators' office)
        "notice_publish",
        "edit_measure",  # a measure's cadence, deadline, owners or reminders, or a new measure (定期检查)
    }
)


def may_use_desk(principal: Principal) -> bool:
    """Coordinators and leaders use the desk (``/desk``); units use the portal."""
    return can_read_everything(principal)


def may_take(principal: Principal, action: str) -> bool:
    """Whether the principal may take a desk action: a coordinator any but the leaders' sign-off, a leader
    only ``LEADER_ACTIONS``."""
    if principal.role == TokenRole.COORDINATOR:
        return action in DESK_ACTIONS and action not in LEADER_ONLY_ACTIONS
    if principal.role == TokenRole.LEADER:
        return action in LEADER_ACTIONS
    return False


def check_desk_action(principal: Principal, action: str) -> None:
    """Raise ``Forbidden`` unless the principal may take the desk action (see ``may_take``)."""
    if not may_take(principal, action):
        who = "a leader token may only read (and sign off the notice)"
        if principal.role == TokenRole.COORDINATOR and action in LEADER_ONLY_ACTIONS:
            who = "the notice is signed off by a leader (审核签发): a coordinator drafts and edits it"
        elif principal.role != TokenRole.LEADER:
            who = f"only a coordinator may {action}"
        raise Forbidden("role", who)


def check_may_review(principal: Principal, action: str) -> None:
    """Raise ``Forbidden`` unless the principal may 销号, 退回 or reopen measures (coordinators only)."""
    if principal.role != TokenRole.COORDINATOR:
        raise Forbidden("role", f"only a coordinator may {action} a measure")


def owner_ids(session: Session, code: str) -> set[int] | None:
    """The ids of the units owning a live measure (lead and co-units, and the members of those that are
    collectives); None when there is no such measure."""
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code, Measure.removed_at.is_(None))
        .options(selectinload(Measure.co_units), selectinload(Measure.lead_unit))
    )
    if measure is None:
        return None
    ids = {u.id for u in measure.co_units}
    if measure.lead_unit_id is not None:
        ids.add(measure.lead_unit_id)
    collectives = [unit.id for unit, _role in collective_owners(measure)]
    ids |= {member.id for listed in members_of(session, collectives).values() for member in listed}
    return ids


def report_target(
    session: Session, principal: Principal, code: str, unit: str | None, *, submitted_at: datetime | None
) -> str | None:
    """The unit a principal's report on measure ``code`` is recorded for (None: the measure's lead
    unit), after every check: the role's (``reporting_unit``), the measure's (``check_measure_access``)
    and a collective's. A collective with members reads its members' shares and reports for none,
    unless the plan gives it ``reports_for_members``: then each report names the member it is for.
    """
    own = _collective_with_members(session, principal)
    if own is None:
        unit = reporting_unit(principal, unit, submitted_at=submitted_at)
    else:
        collective, members = own
        if not collective.reports_for_members:
            raise Forbidden(
                "unit",
                f"a token of collective '{collective.code}' reads its members' shares and reports for "
                "none (the plan's reports_for_members: true lets it report for a member)",
            )
        if unit not in members:
            raise Forbidden("unit", f"name the member this report is for: {', '.join(members)}")
        if submitted_at is not None:
            raise Forbidden("submitted_at", "only a coordinator may set when a report was received")
    check_measure_access(session, principal, code)
    return unit


def _collective_with_members(session: Session, principal: Principal) -> tuple[Unit, list[str]] | None:
    """The principal's unit and its member codes when it is a collective with members (unit tokens)."""
    if principal.role != TokenRole.UNIT or principal.unit_id is None:
        return None
    unit = session.get(Unit, principal.unit_id)
    if unit is None or unit.kind != UnitKind.COLLECTIVE:
        return None
    members = [m.code for m in members_of(session, [unit.id]).get(unit.id, [])]
    return (unit, members) if members else None


def visible_report_units(session: Session, principal: Principal, code: str) -> set[int] | None:
    """Whose reports on measure ``code`` the principal reads: a member of a collective that owns it
    (and owns it only so) reads its own share's only; everyone else all of them (None)."""
    if principal.role != TokenRole.UNIT or principal.unit_id is None:
        return None
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code)
        .options(selectinload(Measure.co_units), selectinload(Measure.lead_unit))
    )
    if measure is None:
        return None
    unit = session.get(Unit, principal.unit_id)
    direct = {u.id for u in measure.co_units} | {measure.lead_unit_id}
    if unit is None or unit.id in direct or owning_collective(measure, unit) is None:
        return None
    return {unit.id}


def check_measure_access(session: Session, principal: Principal, code: str) -> None:
    """Raise ``Forbidden`` unless the principal may read (and, for a unit, report on) the measure.

    For a unit token an unknown measure is refused like another unit's, so nothing leaks;
    for other roles an unknown measure raises ``UnknownMeasure``.
    """
    owners = owner_ids(session, code)
    if can_read_everything(principal):
        if owners is None:
            raise UnknownMeasure(f"no measure '{code}'")
        return
    if owners is None or principal.unit_id not in owners:
        raise Forbidden("measure", f"'{code}' is not a measure of unit '{principal.unit_code}'")


def check_unit_access(session: Session, principal: Principal, unit_code: str) -> None:
    """Raise ``Forbidden`` unless the principal may read the unit's measures."""
    if can_read_everything(principal):
        if session.scalar(select(Unit.id).where(Unit.code == unit_code)) is None:
            raise UnknownUnit(f"no unit '{unit_code}'")
        return
    if unit_code != principal.unit_code:
        raise Forbidden("unit", f"a token of unit '{principal.unit_code}' may not read unit '{unit_code}'")


def measure_reports(
    session: Session, code: str, *, unit_ids: Collection[int] | None = None
) -> list[dict[str, Any]]:
    """Every report on a measure (or those of ``unit_ids``: ``visible_report_units``), oldest first,
    with what superseded it."""
    measure = session.scalar(select(Measure).where(Measure.code == code))
    if measure is None:
        raise UnknownMeasure(f"no measure '{code}'")
    query = select(Report).where(Report.measure_id == measure.id)
    if unit_ids is not None:
        query = query.where(Report.unit_id.in_(list(unit_ids)))
    reports = list(
        session.scalars(
            query.options(
                selectinload(Report.metrics),
                selectinload(Report.unit),
                selectinload(Report.evidence).selectinload(ReportEvidence.file),
                selectinload(Report.measure),
            ).order_by(Report.submitted_at, Report.id)
        )
    )
    superseded_by = {r.supersedes_id: r.id for r in reports if r.supersedes_id is not None}
    result = []
    for report in reports:
        summary = report_summary(report)
        summary["superseded_by"] = superseded_by.get(report.id)
        summary["evidence"] = [
            {
                "filename": e.filename,
                "sha256": e.sha256,
                "size": e.file.size,
                "content_type": e.file.content_type,
            }
            for e in report.evidence
        ]
        result.append(summary)
    return result


@dataclass(frozen=True)
class EvidenceInfo:
    """A stored evidence file and a name a report gave it."""

    sha256: str
    size: int
    content_type: str
    filename: str


def evidence_for(session: Session, principal: Principal, sha256: str) -> EvidenceInfo:
    """An evidence file the principal may read: any for coordinators and leaders; for a unit, one
    attached to a report on a measure the unit owns. Unknown and forbidden look alike to a unit."""
    file = session.get(EvidenceFile, sha256)
    query = (
        select(ReportEvidence.filename)
        .join(Report, Report.id == ReportEvidence.report_id)
        .join(Measure, Measure.id == Report.measure_id)
        .where(ReportEvidence.sha256 == sha256)
        .order_by(ReportEvidence.id)
    )
    if not can_read_everything(principal):
        co_owned = select(measure_co_units.c.measure_id).where(
            measure_co_units.c.unit_id == principal.unit_id
        )
        query = query.where(
            or_(
                Measure.lead_unit_id == principal.unit_id,
                Measure.id.in_(co_owned),
                Report.unit_id == principal.unit_id,  # a member of a collective: its own reports' files
            )
        )
    name = session.scalar(query.limit(1))
    if file is None or name is None:
        if can_read_everything(principal):
            raise LookupError(f"no evidence file {sha256}")
        raise Forbidden("sha256", "no evidence file of this unit has this hash")
    return EvidenceInfo(file.sha256, file.size, file.content_type, name)


def unit_name_of(session: Session, unit_id: int) -> str:
    """A unit's name (the portal's header shows whose page it is)."""
    return session.scalar(select(Unit.name).where(Unit.id == unit_id)) or ""
