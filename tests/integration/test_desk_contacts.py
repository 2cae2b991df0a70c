"""The desk's contacts page in-process: the units' contacts with their URLs masked, what each receives,
and a coordinator's test message sent through the delivery log to the loopback JSON receiver (success and
failure shown on the page); a leader reads and its post is refused. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from flows.web.app import create_app
from models.db import Database
from models.settings import Settings
from models.tables import Delivery, Unit
from tests.factories import make_contact
from tests.integration.test_desk import sign_in
from tests.support.desk import DeskLedger, add_unit_contacts, build_desk_ledger
from tests.support.loopback import JsonReceiver, json_receiver
from tests.support.portal import portal_settings

__all__ = ["json_receiver"]

SECRET = "s3cretpassw0rd"


@pytest.fixture
def desk(
    settings: Settings, database: Database, json_receiver: JsonReceiver
) -> Iterator[tuple[TestClient, DeskLedger, Database, JsonReceiver]]:
    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config)
    json_receiver.dead.add("/gone")
    add_unit_contacts(database, ledger, f"json://127.0.0.1:{json_receiver.port}")
    with database.unit_of_work() as session:
        unit = session.scalar(select(Unit).where(Unit.code == ledger.portal.unit))
        make_contact(
            session,
            "jd-secret",
            person="钱伟",
            unit=unit,
            urls=[f"json://user:{SECRET}@127.0.0.1:{json_receiver.port}/hook?token={SECRET}"],
        )
        make_contact(session, "no-address", person="孙丽", urls=[])
        make_contact(
            session,
            "jd-robot",
            person="街道工作群",
            unit=unit,
            urls=["wecombot://0123456789abcdef", "mailto://office:pw@mail.example.cn"],
            digest="daily",
        )
        session.commit()
    with TestClient(create_app(config)) as client:
        yield client, ledger, database, json_receiver


def deliveries(database: Database) -> int:
    with database.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Delivery)) or 0


def test_the_page_masks_every_url_and_says_what_each_contact_receives(desk: Any) -> None:
    client, ledger, _database, receiver = desk
    sign_in(client, ledger, "coordinator")
    page = client.get("/desk/contacts")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    text = page.text
    assert SECRET not in text and "user:" not in text
    assert f"json://…@127.0.0.1:{receiver.port}/…?…" in text
    assert f"json://127.0.0.1:{receiver.port}/…" in text
    assert 'id="contact-jd-liaison"' in text and "本单位的提醒" in text
    assert "责任领导（" in text and "蓝色督办" in text  # leader-li leads the portal round's measures
    assert "没有联系人：本单位的提醒无人接收" in text  # the other street office
    assert 'action="/desk/contacts/jd-liaison/test"' in text
    assert 'action="/desk/contacts/no-address/test"' not in text  # nothing to send to
    assert '<a href="/desk/contacts">联系人</a>' in text


def test_a_test_message_goes_through_the_log_and_its_outcome_is_shown(desk: Any) -> None:
    client, ledger, database, receiver = desk
    csrf = sign_in(client, ledger, "coordinator")
    sent = client.post("/desk/contacts/jd-liaison/test", data={"csrf": csrf})
    assert sent.status_code == 200 and 'id="outcome"' in sent.text
    assert "已发送" in sent.text and "outcome-sent" in sent.text
    arrived = receiver.to("jd")
    assert len(arrived) == 1 and "测试消息" in str(arrived[0].body) and "王芳" in str(arrived[0].body)
    with database.unit_of_work() as session:
        row = session.scalar(select(Delivery).where(Delivery.kind == "test"))
        assert row is not None and row.status.value == "sent" and row.attempts == 1
        assert row.key.startswith("contact-test|test|jd-liaison#0|")
    messages = client.get("/desk/messages").text
    assert f"json://127.0.0.1:{receiver.port}/…" in messages and "【测试消息】" in messages

    again = client.post("/desk/contacts/jd-liaison/test", data={"csrf": csrf})
    assert again.status_code == 200 and len(receiver.to("jd")) == 2  # each press sends

    failed = client.post("/desk/contacts/jd-gone/test", data={"csrf": csrf})
    assert failed.status_code == 200 and "发送失败" in failed.text and "outcome-failed" in failed.text
    with database.unit_of_work() as session:
        row = session.scalar(select(Delivery).where(Delivery.key.startswith("contact-test|test|jd-gone#0|")))
        assert row is not None and row.status.value == "failed" and row.error  # one attempt, shown
    secret = client.post("/desk/contacts/jd-secret/test", data={"csrf": csrf})
    assert secret.status_code == 200 and SECRET not in secret.text

    assert client.post("/desk/contacts/nobody/test", data={"csrf": csrf}).status_code == 404
    assert client.post("/desk/contacts/no-address/test", data={"csrf": csrf}).status_code == 422


def test_a_post_without_csrf_or_by_a_leader_is_refused_and_sends_nothing(desk: Any) -> None:
    client, ledger, database, receiver = desk
    sign_in(client, ledger, "coordinator")
    before = deliveries(database)
    assert client.post("/desk/contacts/jd-liaison/test", data={}).status_code == 403
    assert client.get("/desk/contacts/jd-liaison/test").status_code in (404, 405)
    leader = TestClient(client.app)
    csrf = sign_in(leader, ledger, "leader")
    page = leader.get("/desk/contacts").text
    assert "test-send" not in page and "领导账号只能查看" in page
    refused = leader.post("/desk/contacts/jd-liaison/test", data={"csrf": csrf})
    assert refused.status_code == 403 and "只能查看" in refused.text
    assert deliveries(database) == before and receiver.to("jd") == []


def test_the_page_shows_each_contacts_digest_and_each_urls_rate_limit(desk: Any) -> None:
    client, ledger, _database, _receiver = desk
    sign_in(client, ledger, "coordinator")
    text = client.get("/desk/contacts").text
    robot = text[text.index('id="contact-jd-robot"') :]
    robot = robot[: robot.index("</tr>")]
    # the schemes' defaults (ZHENGGAI_RATE_LIMITS): a WeCom robot 20 a minute, e-mail 30
    assert "每分钟最多20条" in robot and "每分钟最多30条" in robot
    assert "每日汇总（每个工作日09:00一条）" in robot
    liaison = text[text.index('id="contact-jd-liaison"') :]
    liaison = liaison[: liaison.index("</tr>")]
    assert "不限频次" in liaison and "逐条发送" in liaison  # a JSON webhook of one's own; per message
