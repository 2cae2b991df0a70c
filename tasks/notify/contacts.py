"""The contacts as the desk shows them, and a coordinator's test message to one of them.

``contact_book``: every unit with its contacts, then the contacts outside units (leaders, the
coordinator's office, the head), each URL shown only masked (``models.urls.mask_url``), what the contact
receives by its place in the plan, and the last message the log holds for it. ``record_test_message``
records one test message per URL in the delivery log (``models.send_check``); the outbox sends it like
every message. ``sent_test_outcomes`` reads how those messages went, the errors redacted. Nothing here sends.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.enums import MessageKind
from models.errors import ContactUnreachable, UnknownContact
from models.links import mask_links
from models.rate_limits import limit_for
from models.send_check import plan_test_message
from models.tables import Contact, Delivery, Measure, Round, Unit
from models.urls import channel_of, mask_url
from tasks.notify.planner import PlanResult, contact_recipient, record_messages
from tasks.notify.redact import redact


@dataclass(frozen=True)
class ShownUrl:
    """One of a contact's Apprise URLs as it may be shown: its channel, the URL masked and its rate limit."""

    channel: str
    masked: str
    per_minute: int | None = None  # messages a minute (models.rate_limits); None: not limited


@dataclass(frozen=True)
class LastMessage:
    """The latest message the delivery log holds for a contact."""

    at: datetime
    kind: str
    status: str
    error: str


@dataclass(frozen=True)
class ContactRow:
    """A contact as the contacts page lists it."""

    code: str
    person: str
    role: str
    urls: tuple[ShownUrl, ...]
    receives: tuple[str, ...]  # what it is told, by its place in the plan
    last: LastMessage | None
    digest: str = "per_message"  # per_message, or daily: one digest a working day (docs/notifications.md)


@dataclass
class UnitContacts:
    """A unit and its contacts (none: the unit's reminders reach nobody)."""

    code: str
    name: str
    contacts: list[ContactRow] = field(default_factory=list)


UNIT_MESSAGES = "本单位的提醒、到期、逾期、未按期报送和每周汇总"


def _receives(contact: Contact, led: Counter[int], offices: set[int], heads: set[int]) -> tuple[str, ...]:
    """What the plan has a contact told: a unit's messages, a leader's 蓝色督办, the office's, the head's."""
    out = [UNIT_MESSAGES] if contact.unit_id is not None else []
    if led[contact.id]:
        out.append(f"责任领导（{led[contact.id]}项措施）：蓝色督办")
    if contact.id in offices:
        out.append("督办室：黄色督办、系统运行提醒")
    if contact.id in heads:
        out.append("红色督办")
    return tuple(out)


def _last_messages(session: Session) -> dict[int, LastMessage]:
    """Each contact's latest message in the log (one query)."""
    latest = (
        select(Delivery.contact_id, func.max(Delivery.id).label("id"))
        .where(Delivery.contact_id.is_not(None))
        .group_by(Delivery.contact_id)
        .subquery()
    )
    rows = session.scalars(select(Delivery).join(latest, latest.c.id == Delivery.id))
    return {
        d.contact_id: LastMessage(
            d.sent_at or d.last_attempt_at or d.due_at, d.kind, d.status.value, _shown_error(d.error)
        )
        for d in rows
        if d.contact_id is not None
    }


def _shown_error(error: str) -> str:
    """A delivery's error fit to show: secrets this process resolved and sign-in links masked."""
    return mask_links(redact(error or ""))


def contact_book(
    session: Session, rate_limits: Mapping[str, int]
) -> tuple[list[UnitContacts], list[ContactRow]]:
    """Every unit with its contacts (by code), then the contacts outside units; each URL with the rate
    limit its sends keep (the contact's own, else its scheme's in ``rate_limits``)."""
    led = Counter(
        leader
        for leader in session.scalars(select(Measure.leader_id).where(Measure.removed_at.is_(None)))
        if leader is not None
    )
    offices = {c for c in session.scalars(select(Round.coordinator_id)) if c is not None}
    heads = {c for c in session.scalars(select(Round.head_id)) if c is not None}
    last = _last_messages(session)

    def row(contact: Contact) -> ContactRow:
        return ContactRow(
            contact.code,
            contact.person,
            contact.role,
            tuple(
                ShownUrl(
                    channel_of(url),
                    mask_url(url),
                    limit_for(channel_of(url), contact.rate_limit, rate_limits),
                )
                for url in contact.urls
            ),
            _receives(contact, led, offices, heads),
            last.get(contact.id),
            contact.digest,
        )

    units = [
        UnitContacts(unit.code, unit.name, [row(c) for c in sorted(unit.contacts, key=lambda c: c.code)])
        for unit in session.scalars(select(Unit).options(selectinload(Unit.contacts)).order_by(Unit.code))
    ]
    loose = [
        row(c)
        for c in session.scalars(select(Contact).where(Contact.unit_id.is_(None)).order_by(Contact.code))
    ]
    return units, loose


def record_test_message(session: Session, code: str, clock: Clock, *, asked_by: str) -> PlanResult:
    """Record one test message to each of the contact's URLs, due now; the caller commits, the outbox sends."""
    contact = session.scalar(select(Contact).where(Contact.code == code))
    recipient = contact_recipient(contact)
    if contact is None or recipient is None:
        raise UnknownContact(f"no contact '{code}'")
    if not recipient.urls:
        raise ContactUnreachable(f"contact '{code}' has no URL to send to")
    messages = plan_test_message(recipient, clock, asked_by=asked_by)
    return record_messages(session, messages, now=clock.now, actor=f"test message by {asked_by}"[:100])


@dataclass(frozen=True)
class SendOutcome:
    """How one test message went: its recipient (masked), status and error (redacted)."""

    id: int
    contact: str
    channel: str
    recipient: str
    status: str
    error: str


def sent_test_outcomes(session: Session, ids: Sequence[int]) -> list[SendOutcome]:
    """The test messages among ``ids`` (other kinds are not shown here), in order."""
    rows = session.execute(
        select(Delivery, Contact.code)
        .outerjoin(Contact, Contact.id == Delivery.contact_id)
        .where(Delivery.id.in_(list(ids)[:50]), Delivery.kind == MessageKind.TEST.value)
        .order_by(Delivery.id)
    ).all()
    return [
        SendOutcome(d.id, code or "", d.channel, d.recipient_masked, d.status.value, _shown_error(d.error))
        for d, code in rows
    ]
