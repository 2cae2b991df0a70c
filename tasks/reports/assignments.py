"""签收 and 延期申请: a unit signs for its assignment on a measure, and asks for a later deadline.

An assignment is what a unit was given: the measure's text, deadline and owners. ``assignment_of``
fingerprints it, so when any of those changes the unit signs again (the old signature stays on record).
An extension request stays ``pending`` until a coordinator decides it (``decide_extension``); the
request keeps the deadline it was asked about, and approving it moves the measure's deadline with a
``StatusEvent`` naming both dates. Every function takes a session and never commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.assignments import assignment_fingerprint
from models.enums import EventKind
from models.errors import InvalidExtensionRequest, UnknownMeasure
from models.tables import Acknowledgement, ExtensionRequest, Measure, StatusEvent

PENDING, APPROVED, REFUSED = "pending", "approved", "refused"
MAX_REASON = 2000


def assignment_of(measure: Measure) -> str:
    """The fingerprint of what the owners were given: text, deadline, lead and co-units."""
    return assignment_fingerprint(
        measure.text, measure.deadline, measure.lead_unit_id, (u.id for u in measure.co_units)
    )


def _measure(session: Session, code: str) -> Measure:
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == code, Measure.removed_at.is_(None))
        .options(selectinload(Measure.co_units))
    )
    if measure is None:
        raise UnknownMeasure(f"no measure '{code}'")
    return measure


def acknowledged_ids(session: Session, unit_id: int, measures: Collection[Measure]) -> set[int]:
    """The ids of ``measures`` whose current assignment the unit has signed for (one query)."""
    if not measures:
        return set()
    rows = session.execute(
        select(Acknowledgement.measure_id, Acknowledgement.assignment).where(
            Acknowledgement.unit_id == unit_id,
            Acknowledgement.measure_id.in_([m.id for m in measures]),
        )
    )
    signed = {(row.measure_id, row.assignment) for row in rows}
    return {m.id for m in measures if (m.id, assignment_of(m)) in signed}


def acknowledge(
    session: Session, code: str, *, unit_id: int, token_id: int | None, actor: str, now: datetime
) -> Acknowledgement:
    """签收: the unit signs for its current assignment on the measure; signing twice records once."""
    measure = _measure(session, code)
    fingerprint = assignment_of(measure)
    existing = session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.measure_id == measure.id,
            Acknowledgement.unit_id == unit_id,
            Acknowledgement.assignment == fingerprint,
        )
    )
    if existing is not None:
        return existing
    ack = Acknowledgement(
        measure_id=measure.id,
        unit_id=unit_id,
        assignment=fingerprint,
        assigned_at=measure.created_at,
        acknowledged_at=now,
        token_id=token_id,
        actor=actor[:100],
    )
    session.add(ack)
    session.flush()
    return ack


def acknowledgements_of(session: Session, measure_id: int) -> list[Acknowledgement]:
    """Every 签收 on a measure, oldest first."""
    return list(
        session.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.measure_id == measure_id)
            .order_by(Acknowledgement.acknowledged_at, Acknowledgement.id)
        )
    )


def request_extension(
    session: Session,
    code: str,
    *,
    unit_id: int,
    requested: date | None,
    reason: str,
    token_id: int | None,
    actor: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> ExtensionRequest:
    """延期申请: ask for ``requested`` instead of the measure's deadline; pending until decided.

    Refused (``InvalidExtensionRequest`` naming the field) without a reason, without a later date, for
    an ongoing (长期坚持) measure, or while the unit has a request on it pending. A repeated
    ``idempotency_key`` answers the request it recorded.
    """
    if idempotency_key:
        same = session.scalar(
            select(ExtensionRequest).where(ExtensionRequest.idempotency_key == idempotency_key)
        )
        if same is not None:
            return same
    measure = _measure(session, code)
    reason = reason.strip()
    if measure.deadline is None:
        raise InvalidExtensionRequest("deadline", "长期坚持的措施没有完成时限，无需申请延期")
    if requested is None:
        raise InvalidExtensionRequest("deadline", "请选择申请延至的日期")
    if requested <= measure.deadline:
        raise InvalidExtensionRequest("deadline", "申请延至的日期须晚于现在的完成时限")
    if not reason:
        raise InvalidExtensionRequest("reason", "请填写延期理由")
    if len(reason) > MAX_REASON:
        raise InvalidExtensionRequest("reason", f"延期理由不超过{MAX_REASON}字")
    pending = session.scalar(
        select(ExtensionRequest.id).where(
            ExtensionRequest.measure_id == measure.id,
            ExtensionRequest.unit_id == unit_id,
            ExtensionRequest.status == PENDING,
        )
    )
    if pending is not None:
        raise InvalidExtensionRequest("deadline", "已有一份延期申请在等待审批")
    extension = ExtensionRequest(
        measure_id=measure.id,
        unit_id=unit_id,
        original_deadline=measure.deadline,
        requested_deadline=requested,
        reason=reason,
        requested_at=now,
        token_id=token_id,
        actor=actor[:100],
        status=PENDING,
        idempotency_key=idempotency_key,
    )
    session.add(extension)
    session.flush()
    return extension


def extension_requests_of(session: Session, measure_id: int) -> list[ExtensionRequest]:
    """Every extension request on a measure, oldest first."""
    return list(
        session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.measure_id == measure_id)
            .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
        )
    )


def pending_extensions(session: Session) -> list[ExtensionRequest]:
    """Every request awaiting a coordinator's decision, oldest first (what the desk lists)."""
    return list(
        session.scalars(
            select(ExtensionRequest)
            .where(ExtensionRequest.status == PENDING)
            .options(selectinload(ExtensionRequest.measure))
            .order_by(ExtensionRequest.requested_at, ExtensionRequest.id)
        )
    )


def decide_extension(
    session: Session, request_id: int, *, approve: bool, actor: str, note: str = "", now: datetime
) -> ExtensionRequest:
    """A coordinator approves or refuses a pending request. Approving moves the measure's deadline to
    the requested date and records a ``StatusEvent`` (review) naming the old and new deadlines."""
    extension = session.get(ExtensionRequest, request_id)
    if extension is None:
        raise InvalidExtensionRequest("request", f"no extension request #{request_id}")
    if extension.status != PENDING:
        raise InvalidExtensionRequest("request", f"request #{request_id} was already {extension.status}")
    extension.status = APPROVED if approve else REFUSED
    extension.decided_at = now
    extension.decided_by = actor[:100]
    extension.decision_note = note.strip()
    if approve:
        measure = extension.measure
        old = measure.deadline
        measure.deadline = extension.requested_deadline
        measure.deadline_spec = extension.requested_deadline.isoformat()
        session.add(
            StatusEvent(
                measure=measure,
                at=now,
                actor=actor[:100],
                kind=EventKind.REVIEW,
                from_value=str(old) if old else None,
                to_value=extension.requested_deadline.isoformat(),
                reason=f"extension request #{extension.id} approved: deadline {old} → "
                f"{extension.requested_deadline}" + (f" ({extension.decision_note})" if note.strip() else ""),
            )
        )
    session.flush()
    return extension
