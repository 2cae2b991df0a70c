"""A small ledger for the portal's tests, browser tests and screenshots: two street offices and their measures.

Deadlines lie relative to today (the portal runs on the wall clock): 街道甲 leads one measure due soon,
one overdue and one closed, co-owns one of 街道乙's, and 街道乙 leads one 街道甲 must never see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from models.db import Database
from models.enums import MeasureStatus, TokenRole
from models.settings import Settings
from tasks.reports.signin import sign_in_link
from tasks.reports.tokens import issue_token


def photo_bytes(color: tuple[int, int, int] = (46, 125, 50)) -> bytes:
    """A small JPEG photo, as a phone camera sends one."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


SECRET_TEXT = "街道乙独有的整改措施：不应被街道甲看到"


@dataclass
class PortalLedger:
    """What the tests sign in with and look for."""

    unit: str = "jiedao-a"
    other: str = "jiedao-b"
    due_soon: str = "JA-1"
    overdue: str = "JA-2"
    closed: str = "JA-3"
    shared: str = "JB-2"  # led by 街道乙, co-owned by 街道甲
    secret: str = "JB-1"
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)


def portal_settings(settings: Settings, public_url: str = "http://testserver", **overrides: Any) -> Settings:
    """The test settings with a public URL; years beyond the published calendar count Mon–Fri."""
    return settings.model_copy(
        update={"calendar_fallback": "weekends", "public_url": public_url, **overrides}
    )


def build_portal_ledger(database: Database, settings: Settings, today: date | None = None) -> PortalLedger:
    """The ledger, a unit token and sign-in link for each street office, and a coordinator token."""
    from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit

    ledger = PortalLedger()
    today = today or settings.clock().today
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        a = make_unit(session, ledger.unit, name="新华路街道办事处")
        b = make_unit(session, ledger.other, name="革新街街道办事处")
        leader = make_contact(session, "leader-li", person="李明", role="分管副局长")
        round_ = make_round(session, code="portal-round", feedback_date=today - timedelta(days=60))
        problem = make_problem(
            session,
            round_,
            title="市容环境秩序管理不到位",
            description="部分路段占道经营、乱堆乱放问题反复出现。",
        )
        second = make_problem(session, round_, title="执法队伍作风建设有差距")
        make_measure(
            session,
            problem,
            code=ledger.due_soon,
            marker="一是",
            text="开展占道经营专项整治，建立巡查台账，每周通报整改进度",
            lead_unit=a,
            leader=leader,
            deadline=today + timedelta(days=4),
            deadline_spec=str(today + timedelta(days=4)),
            cadence="每周一 09:00",
            status=MeasureStatus.IN_PROGRESS,
        )
        make_measure(
            session,
            problem,
            code=ledger.overdue,
            marker="二是",
            text="清理背街小巷乱堆乱放，建立长效保洁机制",
            lead_unit=a,
            leader=leader,
            deadline=today - timedelta(days=10),
            deadline_spec=str(today - timedelta(days=10)),
            status=MeasureStatus.IN_PROGRESS,
        )
        make_measure(
            session,
            problem,
            code=ledger.closed,
            marker="三是",
            text="公布举报电话，畅通群众监督渠道",
            lead_unit=a,
            deadline=today - timedelta(days=30),
            deadline_spec=str(today - timedelta(days=30)),
            status=MeasureStatus.CLOSED,
        )
        make_measure(
            session,
            second,
            code=ledger.secret,
            text=SECRET_TEXT,
            lead_unit=b,
            deadline=today + timedelta(days=40),
        )
        make_measure(
            session,
            second,
            code=ledger.shared,
            text="联合开展执法作风专项教育",
            lead_unit=b,
            co_units=[a],
            deadline=None,
        )
        for name, role, unit in [
            ("unit", TokenRole.UNIT, ledger.unit),
            ("other", TokenRole.UNIT, ledger.other),
            ("coordinator", TokenRole.COORDINATOR, None),
        ]:
            issued = issue_token(
                session,
                role=role,
                unit_code=unit,
                label=f"{name}联络员",
                now=now,
                expires_at=now + timedelta(days=180),
            )
            ledger.tokens[name] = issued.secret
            ledger.token_ids[name] = issued.token_id
            if unit is not None:
                ledger.links[name] = sign_in_link(session, settings, issued.token_id, now=now)
        session.commit()
    return ledger


def link_path(link: str) -> str:
    """A sign-in link's path (the tests' server is not the public URL)."""
    return link[link.index("/signin/") :]


@contextmanager
def serve_app(app: Any, port: int) -> Iterator[str]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` in a thread, for a browser; yields its base URL.

    The thread runs in a copy of the caller's context: the settings a test holds with Prefect's
    ``temporary_settings`` are the app's too (else the app sees the process-wide ones, which the session's
    Prefect harness replaces once a test of this worker has started it)."""
    import contextvars
    import threading
    import time

    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=contextvars.copy_context().run, args=(server.run,), daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the portal's test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
