"""Messages to a unit link to its measure's page: a sign-in link, masked in the delivery log, signed again
when sent; without ZHENGGAI_PUBLIC_URL they name the CLI as before."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.clock import Clock
from models.db import Database
from models.settings import Settings, get_settings
from models.tables import Delivery
from tasks.notify.outbox import deliver_due
from tasks.notify.planner import plan_messages
from tests.integration.test_delivery_log import CAL, POLICY, TIMEZONE, at, ledger
from tests.support.fake_sender import FakeSender
from tests.support.work import committed


def _working_day_ahead() -> date:
    """A coming weekday: the links made then are live now."""
    day = datetime.now(UTC).date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _plan(database: Database) -> list[str]:
    day = _working_day_ahead()
    ledger(database, deadline=day + timedelta(days=1))
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(day)), POLICY)
    with database.unit_of_work() as session:
        return [d.body for d in session.scalars(select(Delivery).where(Delivery.unit_id.is_not(None)))]


def test_without_a_public_url_messages_name_the_cli(database: Database) -> None:
    bodies = _plan(database)
    assert bodies and all(
        "zhenggai report add --measure" in body and "/signin/" not in body for body in bodies
    )


def test_messages_link_to_the_measure_page_masked_in_the_log(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "http://testserver")
    get_settings.cache_clear()
    bodies = _plan(database)
    assert bodies
    for body in bodies:
        found = re.search(r"http://testserver/signin/\d+\.\d+\.(\S+)\?next=/m/M-000", body)
        assert found is not None and found.group(1) == "***", body
    sender = FakeSender()
    deliver_due(database, sender, now=at(_working_day_ahead(), 11))
    sent = [m.body for m in sender.sent if "/signin/" in m.body]
    assert sent
    link = re.search(r"http://testserver(/signin/\S+)", sent[0])
    assert link is not None and "***" not in link.group(1)
    config = get_settings().model_copy(update={"calendar_fallback": "weekends"})
    with TestClient(create_app(config)) as client:
        answer = client.get(link.group(1), follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/m/M-000"
        assert "M-000" in client.get("/m/M-000").text
    with database.unit_of_work() as session:
        assert all(
            "***" in d.body for d in session.scalars(select(Delivery).where(Delivery.unit_id.is_not(None)))
        )


def test_a_link_only_leads_to_a_measure_page() -> None:
    from flows.web.pages.portal import _NEXT

    assert _NEXT.match("/m/XH-08-1")
    for elsewhere in ["//evil.example", "https://evil.example", "/m/../api", "/api/me", "/m/a/b"]:
        assert not _NEXT.match(elsewhere), elsewhere


def test_the_leader_office_and_head_are_given_the_sheets_page_and_reach_it_through_sign_in(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.enums import TokenRole
    from tasks.reports.tokens import issue_token
    from tests.integration.test_portal import csrf_of

    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "http://testserver")
    get_settings.cache_clear()
    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 22))), POLICY)  # 蓝, 黄 and 红
    with database.unit_of_work() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind == "escalation")).all()
        told = {row.key.split("|")[2]: row.body for row in rows}
    pages = {
        "leader-li#0": "督办单：督办〔2024〕1号（查看：http://testserver/duban/2024-1）",
        "duban-office#0": "督办单：督办〔2024〕2号（查看：http://testserver/duban/2024-2）",
        "bureau-head#0": "督办单：督办〔2024〕3号（查看：http://testserver/duban/2024-3）",
    }
    for contact, line in pages.items():  # a plain address: they sign in as themselves, never as the unit
        assert line in told[contact].splitlines() and "/signin/" not in told[contact], told[contact]
    config = get_settings().model_copy(update={"calendar_fallback": "weekends"})
    with database.unit_of_work() as session:
        leader = issue_token(session, role=TokenRole.LEADER, label="李某某", now=datetime.now(UTC))
        session.commit()
    with TestClient(create_app(config)) as client:
        away = client.get("/duban/2024-1", follow_redirects=False)
        assert away.headers["location"] == "/signin?next=/duban/2024-1"  # the sheet is kept through sign-in
        form = client.get(away.headers["location"])
        assert 'name="next" value="/duban/2024-1"' in form.text
        signed = client.post(
            "/signin",
            data={"csrf": csrf_of(form.text), "token": leader.secret, "next": "/duban/2024-1"},
            follow_redirects=False,
        )
        assert signed.headers["location"] == "/duban/2024-1"
        page = client.get("/duban/2024-1")
        assert page.status_code == 200 and "督办〔2024〕1号" in page.text
        assert "提交回复" not in page.text  # a leader reads; only the unit signs and replies


def test_a_leaders_daily_digest_lists_each_sheet_with_its_page(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.tables import Contact
    from tasks.notify.planner import compose_digests

    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "http://testserver")
    get_settings.cache_clear()
    ledger(database)
    with database.unit_of_work() as session:
        session.scalars(select(Contact).where(Contact.code == "leader-li")).one().digest = "daily"
        session.commit()
    clock = Clock(CAL, TIMEZONE, at(date(2024, 1, 4)))  # 4 working days overdue: 蓝色督办
    committed(database, plan_messages, clock, POLICY)
    committed(database, compose_digests, clock, POLICY)
    with database.unit_of_work() as session:
        body = session.scalars(select(Delivery.body).where(Delivery.kind == "daily_digest")).one()
    lines = body.splitlines()
    assert any("【蓝色督办】M-000" in line for line in lines)
    assert "   http://testserver/duban/2024-1" in lines  # the address alone, not the sentence around it
