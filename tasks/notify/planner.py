"""Planning from the ledger: each live measure's messages and escalation steps, recorded once by key.

Every planned message is inserted with its idempotency key under a unique constraint (``INSERT … ON
CONFLICT DO NOTHING``): two sweeps, a flow retry or two overlapping runs record a key once. Escalation
steps become ``StatusEvent`` rows the same way (their ``dedupe_key``). Sending is the outbox's
(``tasks.notify.outbox``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.collectives import LEAD
from models.duban import number_ref
from models.enums import DeliveryStatus, EventKind, MessageKind
from models.errors import UnknownMeasure
from models.links import first_link
from models.measure_view import MeasureView, share_view
from models.notifications import (
    DIGEST_SECTIONS,
    LEVEL_LABEL,
    SECTION_ORDER,
    Audience,
    DigestLine,
    EscalationStep,
    PlannedMessage,
    Policy,
    Recipient,
    Recipients,
    digest_due,
    digest_key,
    digested,
    next_allowed,
    plan_digest,
    plan_measure,
)
from models.rules import STATE_LABEL
from models.settings import Settings, get_settings
from models.tables import (
    Contact,
    Delivery,
    Measure,
    Problem,
    Round,
    Unit,
    measure_co_units,
)
from models.urls import channel_of, mask_url
from models.workdays import add_workdays
from tasks.ledger.duban import issue_sheet, lock_numbering, sheet_numbers
from tasks.ledger.history import insert_for, record_event_once
from tasks.ledger.keys import masked_message_link
from tasks.ledger.queries import live_measures, measure_views, views_of
from tasks.notify.render import render, render_message

# Who oversees a measure rather than owning it: told of its 督办单 with a plain link, never a unit's sign-in.
OVERSEERS = frozenset({Audience.LEADER.value, Audience.OFFICE.value, Audience.HEAD.value})


def contact_recipient(contact: Contact | None) -> Recipient | None:
    """A contact as a message recipient (None for no contact)."""
    if contact is None:
        return None
    return Recipient(
        contact.id,
        contact.code,
        contact.person,
        contact.role,
        tuple(contact.urls),
        contact.unit_id,
        digest=contact.digest == "daily",
    )


def unit_recipients(unit: Unit | None) -> tuple[Recipient, ...]:
    """A unit's contacts that have an address, as recipients."""
    if unit is None:
        return ()
    return tuple(r for c in unit.contacts if c.urls and (r := contact_recipient(c)) is not None)


def _measures(
    session: Session, *, round_code: str | None = None, measure_code: str | None = None
) -> list[Measure]:
    return live_measures(
        session,
        round_code=round_code,
        measure_code=measure_code,
        load=(
            selectinload(Measure.lead_unit).selectinload(Unit.contacts),
            selectinload(Measure.co_units).selectinload(Unit.contacts),
            selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.coordinator),
            selectinload(Measure.problem).selectinload(Problem.round).selectinload(Round.head),
        ),
    )


def recipients_of(measure: Measure) -> Recipients:
    """Who hears about ``measure`` (its lead unit's contacts, its leader, the round's coordinator and head)."""
    round_ = measure.problem.round
    return Recipients(
        unit=unit_recipients(measure.lead_unit),
        leader=contact_recipient(measure.leader),
        coordinator=contact_recipient(round_.coordinator),
        head=contact_recipient(round_.head),
        co_units=tuple(r for unit in measure.co_units for r in unit_recipients(unit)),
        office=round_.coordinator.unit.name if round_.coordinator and round_.coordinator.unit else "",
    )


@dataclass
class PlanResult:
    """What a planning pass did: messages planned, newly recorded (others existed), held, steps reached."""

    planned: int = 0
    recorded: int = 0
    held: int = 0
    escalations: int = 0
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "recorded": self.recorded,
            "held": self.held,
            "escalations": self.escalations,
        }


def record_messages(
    session: Session,
    messages: Iterable[PlannedMessage],
    escalations: Iterable[EscalationStep] = (),
    *,
    now: datetime,
    actor: str = "notify",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Render and insert each message whose key is new, and the escalation steps; the caller commits."""
    insert = insert_for(session)
    result = PlanResult()
    settings = get_settings()
    escalations = list(escalations)
    # The steps first: a step 蓝/黄/红 recorded now issues its numbered 督办单, which its messages name.
    lock_numbering(session, escalations)
    for step in escalations:
        recorded = record_event_once(
            session,
            {
                "measure_id": step.measure_id,
                "at": now,
                "actor": actor,
                "kind": EventKind.ESCALATION,
                "from_value": step.previous.value if step.previous else None,
                "to_value": step.level.value,
                "reason": f"{step.shortfall}，{LEVEL_LABEL[step.level]}：{step.target}",
                "flow_run_id": flow_run_id,
                "dedupe_key": step.dedupe_key,
            },
        )
        result.escalations += int(recorded)
        if recorded and step.issues_sheet:
            issue_sheet(
                session,
                step,
                code=settings.duban_code,
                issuer=settings.duban_issuer,
                reply_workdays=settings.duban_reply_workdays,
                round_code=step.round_code,
            )
    numbers = sheet_numbers(session, (step.dedupe_key for step in escalations if step.issues_sheet))
    rows = []
    links: dict[tuple[int, str], str] = {}
    for message in messages:
        step_key = message.context.get("_step")
        if isinstance(step_key, str) and step_key in numbers:
            message = replace(message, context={**message.context, "duban_number": numbers[step_key]})
        title, body = render_message(_with_link(session, settings, message, links, now))
        held = message.due_at > now
        status = (
            DeliveryStatus.DIGESTED
            if digested(message)
            else DeliveryStatus.HELD
            if held
            else DeliveryStatus.PENDING
        )
        result.planned += 1
        rows.append(
            {
                "key": message.key,
                "kind": message.kind.value,
                "measure_id": message.measure_id,
                "unit_id": message.unit_id,
                "contact_id": message.recipient.contact_id,
                "url_index": message.url_index,
                "recipient_masked": mask_url(message.url)[:300],
                "channel": channel_of(message.url)[:40],
                "title": title,
                "body": body,
                "status": status.value,
                "attempts": 0,
                "error": "",
                "due_at": message.due_at,
                "created_at": now,
            }
        )
    for start in range(0, len(rows), 500):
        statement = (
            insert(Delivery)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Delivery.id, Delivery.status)
        )
        # RETURNING lists only the rows actually inserted: keys recorded before are left alone.
        for row_id, status in session.execute(statement).all():
            result.new_ids.append(row_id)
            result.recorded += 1
            if status == DeliveryStatus.HELD:
                result.held += 1
    return result


def _with_link(
    session: Session,
    settings: Settings,
    message: PlannedMessage,
    links: dict[tuple[int, str], str],
    now: datetime,
) -> PlannedMessage:
    """``message`` with a (masked) sign-in link to its measure's page when it goes to a unit and the portal has
    a public URL; the outbox signs it again when sending. A message to the leader, the coordinator's office
    or the head carries the plain address of the 督办单 it names instead (``duban_page``): they sign in as
    themselves (a unit's sign-in link is never theirs), and the sheet's page is what the desk links to."""
    code = message.context.get("code")
    if not settings.public_url or not isinstance(code, str) or "portal_link" in message.context:
        return message
    ref = number_ref(message.context.get("duban_number"))
    if message.context.get("audience") in OVERSEERS:
        if ref is None:
            return message
        return replace(
            message, context={**message.context, "duban_page": f"{settings.public_url}/duban/{ref}"}
        )
    if message.unit_id is None:
        return message
    paths = {"portal_link": f"/m/{code}"}
    if ref:
        paths["duban_link"] = f"/duban/{ref}"  # the 督办单's page: read, 签收 and reply
    extra = {}
    for name, path in paths.items():
        if (message.unit_id, path) not in links:
            links[message.unit_id, path] = masked_message_link(
                session, settings, message.unit_id, code, now=now, path=path
            )
        extra[name] = links[message.unit_id, path]
    return replace(message, context={**message.context, **extra})


def plan_messages(
    session: Session,
    clock: Clock,
    policy: Policy,
    *,
    round_code: str | None = None,
    measure_code: str | None = None,
    actor: str = "sweep",
    flow_run_id: str | None = None,
) -> PlanResult:
    """Plan every live measure's messages at the clock's now (or one measure's) and record the new ones.

    Each measure is read as of the moment its messages are due (the next allowed moment); the caller commits.
    """
    measures = _measures(session, round_code=round_code, measure_code=measure_code)
    if measure_code is not None and not measures:
        raise UnknownMeasure(f"no measure '{measure_code}'")
    due = clock.at(next_allowed(clock, policy))
    messages: list[PlannedMessage] = []
    steps: list[EscalationStep] = []
    views = views_of(session, measures, due)
    members = member_units(session, views)
    for measure, view in zip(measures, views, strict=True):
        recipients = recipients_of(measure)
        # A measure a collective with members leads is each member's: each is reminded and chased on its own.
        shares = [share for share in view.members if share.role == LEAD]
        plans = [
            plan_measure(
                share_view(view, share),
                replace(recipients, unit=unit_recipients(members.get(share.code))),
                clock,
                policy,
                member=share.code,
            )
            for share in shares
        ] or [plan_measure(view, recipients, clock, policy)]
        for plan in plans:
            messages += plan.messages
            steps += plan.escalations
    return record_messages(session, messages, steps, now=clock.now, actor=actor, flow_run_id=flow_run_id)


def member_units(session: Session, views: Iterable[MeasureView]) -> dict[str, Unit]:
    """The member units the views' shares name, with their contacts, by code."""
    codes = {share.code for view in views for share in view.members}
    if not codes:
        return {}
    query = select(Unit).where(Unit.code.in_(codes)).options(selectinload(Unit.contacts))
    return {unit.code: unit for unit in session.scalars(query)}


def plan_digests(
    session: Session, clock: Clock, policy: Policy, *, round_code: str | None = None
) -> PlanResult:
    """Record this week's digest for every unit that leads or co-owns a live measure; the caller commits.

    The measures are judged as of the whole day the digest is due on.
    """
    views = measure_views(
        session, clock.on(clock.local_day(next_allowed(clock, policy))), round_code=round_code
    )
    co_owned: dict[int, set[int]] = {}
    for measure_id, unit_id in session.execute(
        select(measure_co_units.c.measure_id, measure_co_units.c.unit_id).where(
            measure_co_units.c.measure_id.in_([view.id for view in views])
        )
    ):
        co_owned.setdefault(unit_id, set()).add(measure_id)
    units = session.scalars(select(Unit).options(selectinload(Unit.contacts)).order_by(Unit.code)).all()
    messages: list[PlannedMessage] = []
    for unit in units:
        lines = [
            _digest_line(view, "牵头" if view.lead_unit_code == unit.code else "配合")
            for view in views
            if view.lead_unit_code == unit.code or view.id in co_owned.get(unit.id, set())
        ]
        lines += [  # a member of a collective: its own share of what the collective owns
            _digest_line(share_view(view, share), "牵头" if share.role == LEAD else "配合")
            for view in views
            for share in view.members
            if share.code == unit.code
        ]
        messages += plan_digest(unit.code, unit.id, unit.name, unit_recipients(unit), lines, clock, policy)
    return record_messages(session, messages, now=clock.now, actor="digest")


def _digest_line(view: MeasureView, role: str) -> DigestLine:
    return DigestLine(
        code=view.code,
        text=view.measure_text,
        role=role,
        deadline_spec=view.deadline.isoformat() if view.deadline else view.deadline_spec,
        state_label=STATE_LABEL[view.state],
        light=view.light.value,
        workdays_left=view.workdays_left,
        last_report_at=view.last_report_at,
    )


def compose_digests(session: Session, clock: Clock, policy: Policy) -> PlanResult:
    """Record a daily digest for every contact URL with digested messages no digest carries yet, and link
    them to it; the caller commits.

    The digest's key names the contact URL and the working day (one a day); when the day's digest was
    recorded already (an earlier sweep), the messages go in the next working day's. A message is linked
    to one digest only (``digest_id`` set where it is still empty), so none is carried twice and none
    is sent alone (a ``digested`` row is never claimed by the outbox).
    """
    result = PlanResult()
    waiting = session.execute(
        select(
            Delivery.id, Delivery.contact_id, Delivery.url_index, Delivery.kind, Delivery.title, Delivery.body
        )
        .where(Delivery.status == DeliveryStatus.DIGESTED, Delivery.digest_id.is_(None))
        .order_by(Delivery.due_at, Delivery.id)
    ).all()
    groups: dict[tuple[int, int], list[Any]] = {}
    for row in waiting:
        if row.contact_id is not None:
            groups.setdefault((row.contact_id, row.url_index), []).append(row)
    insert = insert_for(session)
    first_day = clock.local_day(next_allowed(clock, policy))
    for (contact_id, url_index), items in groups.items():
        contact = session.get(Contact, contact_id)
        recipient = contact_recipient(contact)
        if contact is None or recipient is None or url_index >= len(recipient.urls):
            continue
        day = first_day
        while session.scalar(
            select(Delivery.id).where(Delivery.key == digest_key(recipient, url_index, day))
        ):
            day = add_workdays(clock.calendar, day, 1)
        due = digest_due(clock, policy, day)
        sections: dict[str, list[dict[str, str]]] = {}
        for item in items:
            sections.setdefault(DIGEST_SECTIONS[MessageKind(item.kind)], []).append(
                {"title": item.title, "link": first_link(item.body)}
            )
        title, body = render(
            "daily_digest",
            {
                "recipient": recipient.person,
                "day": day,
                "total": len(items),
                "sections": [(name, sections[name]) for name in SECTION_ORDER if name in sections],
            },
        )
        url = recipient.urls[url_index]
        digest_id = session.scalar(
            insert(Delivery)
            .values(
                key=digest_key(recipient, url_index, day),
                kind=MessageKind.DAILY_DIGEST.value,
                unit_id=contact.unit_id,
                contact_id=contact.id,
                url_index=url_index,
                recipient_masked=mask_url(url)[:300],
                channel=channel_of(url)[:40],
                title=title,
                body=body,
                status=(DeliveryStatus.HELD if due > clock.now else DeliveryStatus.PENDING).value,
                attempts=0,
                error="",
                due_at=due,
                created_at=clock.now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Delivery.id)
        )
        if digest_id is None:  # another sweep recorded this digest meanwhile: it carries these messages
            continue
        carried: CursorResult[Any] = session.execute(  # type: ignore[assignment]
            update(Delivery)
            .where(
                Delivery.id.in_([item.id for item in items]),
                Delivery.status == DeliveryStatus.DIGESTED,
                Delivery.digest_id.is_(None),
            )
            .values(digest_id=digest_id)
            .execution_options(synchronize_session=False)
        )
        if not carried.rowcount:  # another sweep's digest took them all: no empty digest
            session.execute(delete(Delivery).where(Delivery.id == digest_id))
            continue
        result.planned += 1
        result.recorded += 1
        result.held += int(due > clock.now)
        result.new_ids.append(digest_id)
    return result
