"""The desk's test ledger: the portal's (tests/support/portal.py) with two done claims (one with a photo),
a pending 延期申请, and sign-in links for a coordinator and a leader; with ``review_steps`` the round
closes in steps (e.g. 分管领导确认, then 销号) and a second coordinator account (``confirmer``) signs in."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from models.db import Database
from models.enums import MeasureStatus, ReportStatus, TokenRole
from models.settings import Settings
from tests.support.portal import PortalLedger, build_portal_ledger, photo_bytes


@dataclass
class DeskLedger:
    """The portal's ledger and what the desk's tests act on."""

    portal: PortalLedger
    claimed: str = "JA-4"  # done, with a photo: to accept (销号)
    weak: str = "JA-5"  # done, without evidence: to return (退回)
    extension_id: int = 0
    extension_measure: str = "JA-1"
    requested: date = date(2000, 1, 1)  # set by build_desk_ledger
    links: dict[str, str] = field(default_factory=dict)
    photo_sha: str = ""


def build_desk_ledger(
    database: Database, settings: Settings, today: date | None = None, review_steps: list[str] | None = None
) -> DeskLedger:
    from sqlalchemy import select

    from flows.intake import submit_report
    from models.tables import Problem, Unit
    from tasks.reports.assignments import request_extension
    from tasks.reports.evidence import Upload, stage_evidence
    from tasks.reports.record import ReportInput
    from tasks.reports.signin import sign_in_link
    from tasks.reports.tokens import issue_token
    from tests.factories import make_measure

    today = today or settings.clock().today
    portal = build_portal_ledger(database, settings, today)
    desk = DeskLedger(portal)
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        unit = session.scalar(select(Unit).where(Unit.code == portal.unit))
        problem = session.scalar(select(Problem).order_by(Problem.ordinal).limit(1))
        assert unit is not None and problem is not None
        for code, marker, text in [
            (desk.claimed, "四是", "整治门前三包责任落实不到位问题"),
            (desk.weak, "五是", "规范户外广告招牌设置"),
        ]:
            make_measure(
                session,
                problem,
                code=code,
                marker=marker,
                text=text,
                lead_unit=unit,
                deadline=today + timedelta(days=20),
                deadline_spec=str(today + timedelta(days=20)),
                status=MeasureStatus.IN_PROGRESS,
            )
        desk.requested = today + timedelta(days=30)
        extension = request_extension(
            session,
            desk.extension_measure,
            unit_id=unit.id,
            requested=desk.requested,
            reason="汛期影响施工，申请延期",
            token_id=portal.token_ids["unit"],
            actor="portal test",
            now=now,
        )
        desk.extension_id = extension.id
        accounts = [("coordinator", TokenRole.COORDINATOR), ("leader", TokenRole.LEADER)]
        if review_steps:
            problem.round.review_steps = review_steps
            accounts.append(("confirmer", TokenRole.COORDINATOR))  # records the 分管领导's confirmation
        labels = {"confirmer": "分管领导秘书"}
        for name, role in accounts:
            issued = issue_token(
                session,
                role=role,
                unit_code=None,
                label=labels.get(name, f"{name}账号"),
                now=now,
                expires_at=now + timedelta(days=30),
            )
            if name != "coordinator":
                portal.tokens[name] = issued.secret
                portal.token_ids[name] = issued.token_id
            desk.links[name] = sign_in_link(session, settings, portal.token_ids[name], now=now, path="/desk")
        session.commit()
    clock = settings.clock()
    staged = stage_evidence(
        settings.evidence_dir,
        [Upload("整改后现场.jpg", io.BytesIO(photo_bytes()))],
        max_bytes=settings.evidence_max_bytes,
        allowed_types=settings.evidence_allowed_types,
    )
    answer = submit_report(
        database,
        ReportInput(
            measure=desk.claimed,
            unit=portal.unit,
            text="门前三包责任书已全部签订，整改完成",
            claimed_status=ReportStatus.DONE,
        ),
        actor="test",
        clock=clock,
        staged=staged,
        emit=False,
    )
    desk.photo_sha = answer["evidence"][0]["sha256"]
    submit_report(
        database,
        ReportInput(measure=desk.weak, unit=portal.unit, text="已完成", claimed_status=ReportStatus.DONE),
        actor="test",
        clock=clock,
        emit=False,
    )
    return desk


# The unit contacts the contacts page shows: (code, person, role, path on the receiver); "gone" always fails.
UNIT_CONTACTS = [("jd-liaison", "王芳", "联络员", "jd"), ("jd-gone", "赵强", "联络员", "gone")]


def add_unit_contacts(database: Database, ledger: DeskLedger, base_url: str) -> None:
    """Contacts of the desk ledger's first street office reached at ``base_url``/<path> (a loopback JSON
    receiver: ``json://127.0.0.1:PORT``), for the contacts page and its test message."""
    from sqlalchemy import select

    from models.tables import Unit
    from tests.factories import make_contact

    with database.unit_of_work() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ledger.portal.unit))
        for code, person, role, path in UNIT_CONTACTS:
            make_contact(session, code, person=person, role=role, unit=unit, urls=[f"{base_url}/{path}"])
        session.commit()


def add_failed_delivery(database: Database, key: str) -> None:
    """A failed message of now in the delivery log, its title holding a sign-in link (to be masked)."""
    from datetime import UTC, datetime

    from models.enums import DeliveryStatus
    from models.tables import Delivery

    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        session.add(
            Delivery(
                key=key,
                kind="overdue",
                recipient_masked="mailto://z***@example.gov.cn",
                channel="mailto",
                title="逾期提醒 http://testserver/signin/7.1999999999.SECRETSIGNATURE",
                body="",
                status=DeliveryStatus.FAILED,
                error="connection refused",
                due_at=now,
                created_at=now,
                last_attempt_at=now,
            )
        )
        session.commit()
