"""Real Apprise deliveries to real endpoints on loopback: SMTP (aiosmtpd) and JSON webhooks."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bench.baselines import send_concurrently, send_sequentially
from models.clock import Clock
from models.db import Database
from models.enums import DeliveryStatus
from models.notifications import Policy
from models.tables import Delivery
from models.workdays import WeekdayCalendar
from tasks.notify.outbox import deliver
from tasks.notify.planner import plan_messages
from tasks.notify.sender import AppriseSender, PreparedMessage
from tests.factories import make_contact, make_measure, make_unit
from tests.support.loopback import JsonReceiver, SmtpReceiver, json_receiver, smtp_receiver
from tests.support.work import committed

__all__ = ["json_receiver", "smtp_receiver"]

TZ = ZoneInfo("Asia/Shanghai")
CAL = WeekdayCalendar()
TUESDAY = datetime.combine(date(2023, 12, 26), time(10), tzinfo=TZ)  # 3 working days before Fri 12-29
TEXT = "开展市容环境集中整治，向沿街商户发放宣传一封信"


@pytest.fixture
def dingtalk_on_loopback(json_receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch) -> JsonReceiver:
    """Apprise's real DingTalk plugin, its API host pointed at the loopback receiver (the outer edge)."""
    from apprise.plugins.dingtalk import NotifyDingTalk

    monkeypatch.setattr(
        NotifyDingTalk,
        "notify_url",
        f"http://127.0.0.1:{json_receiver.port}/robot/send?access_token={{token}}",
    )
    return json_receiver


def _measure(database: Database, urls: list[str], leader_urls: list[str] | None = None) -> None:
    with database.unit_of_work() as session:
        unit = make_unit(session, "jiedao", name="各街道办事处")
        make_contact(session, "jiedao-liaison", person="街道联络员", unit=unit, urls=urls)
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=leader_urls or []
        )
        make_measure(
            session,
            code="XH-08-1",
            marker="一是",
            text=TEXT,
            lead_unit=unit,
            leader=leader,
            deadline=date(2023, 12, 29),
        )
        session.commit()


def test_reminder_arrives_by_mail_json_and_dingtalk(
    database: Database, smtp_receiver: SmtpReceiver, dingtalk_on_loopback: JsonReceiver
) -> None:
    receiver = dingtalk_on_loopback
    _measure(
        database,
        [
            smtp_receiver.url("jiedao@example.org"),
            receiver.url("jiedao"),
            "dingtalk://0123456789abcdef0123456789abcdef",
        ],
    )
    ids = committed(database, plan_messages, Clock(CAL, "Asia/Shanghai", TUESDAY), Policy()).new_ids
    counts = deliver(database, AppriseSender(), ids, now=TUESDAY, concurrency=4)
    assert counts.sent == 3

    [mail] = smtp_receiver.mails
    assert mail.recipients == ("jiedao@example.org",)
    assert mail.subject == "【整改提醒】XH-08-1 距完成时限还有3个工作日"
    assert f"一是{TEXT}" in mail.text
    assert "完成时限：2023年12月29日" in mail.text and "剩余工作日：3 个" in mail.text
    assert mail.key == "XH-08-1|reminder|jiedao-liaison#0|2023-12-29/-3"

    [webhook] = receiver.to("jiedao")
    assert webhook.body["title"] == mail.subject
    assert webhook.body["message"].replace("\r\n", "\n").strip() == mail.text.replace("\r\n", "\n").strip()
    assert webhook.key == "XH-08-1|reminder|jiedao-liaison#1|2023-12-29/-3"

    [robot] = receiver.to("robot/send")
    assert robot.query == "access_token=0123456789abcdef0123456789abcdef"
    assert robot.body["msgtype"] == "text"
    assert robot.body["text"]["content"].startswith("【整改提醒】XH-08-1")
    assert TEXT in robot.body["text"]["content"] and "剩余工作日：3 个" in robot.body["text"]["content"]

    with database.unit_of_work() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.url_index)).all()
        assert [r.channel for r in rows] == ["mailto", "json", "dingtalk"]
        assert [r.recipient_masked for r in rows][2] == "dingtalk://…"
        assert all(r.status == DeliveryStatus.SENT and r.attempts == 1 for r in rows)


def test_flaky_endpoint_gets_it_once_and_dead_one_fails_while_others_are_served(
    database: Database, json_receiver: JsonReceiver
) -> None:
    json_receiver.fail_first["/flaky"] = 2
    json_receiver.dead.add("/dead")
    _measure(database, [json_receiver.url("flaky"), json_receiver.url("dead"), json_receiver.url("fine")])
    ids = committed(database, plan_messages, Clock(CAL, "Asia/Shanghai", TUESDAY), Policy()).new_ids
    sender = AppriseSender()
    for _ in range(5):  # what the delivery task's retries do, without the pauses
        deliver(database, sender, ids, now=TUESDAY, concurrency=4, max_attempts=4)
    assert len(json_receiver.to("flaky")) == 3 and len(json_receiver.to("fine")) == 1
    assert len(json_receiver.to("dead")) == 4
    with database.unit_of_work() as session:
        rows = {r.url_index: r for r in session.scalars(select(Delivery))}
        assert rows[0].status == DeliveryStatus.SENT and rows[0].attempts == 3
        assert rows[1].status == DeliveryStatus.FAILED and rows[1].attempts == 4 and "500" in rows[1].error
        assert rows[2].status == DeliveryStatus.SENT and rows[2].attempts == 1


def test_env_reference_is_resolved_at_send_time(
    database: Database, json_receiver: JsonReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    _measure(database, ["env:ZHENGGAI_TEST_ROBOT_URL", "env:ZHENGGAI_TEST_UNSET_URL"])
    monkeypatch.setenv("ZHENGGAI_TEST_ROBOT_URL", json_receiver.url("robot"))
    monkeypatch.delenv("ZHENGGAI_TEST_UNSET_URL", raising=False)
    ids = committed(database, plan_messages, Clock(CAL, "Asia/Shanghai", TUESDAY), Policy()).new_ids
    deliver(database, AppriseSender(), ids, now=TUESDAY, max_attempts=1)
    assert len(json_receiver.to("robot")) == 1
    with database.unit_of_work() as session:
        rows = {r.url_index: r for r in session.scalars(select(Delivery))}
        assert (
            rows[0].recipient_masked == "env:ZHENGGAI_TEST_ROBOT_URL"
            and rows[0].status == DeliveryStatus.SENT
        )
        assert (
            rows[1].status == DeliveryStatus.FAILED and "ZHENGGAI_TEST_UNSET_URL is not set" in rows[1].error
        )


def test_benchmark_entry_points_send_everything_once() -> None:
    with JsonReceiver(delay=0.05) as receiver:
        messages = [
            PreparedMessage(f"bench|{n}", receiver.url(f"u{n % 5}"), "标题", "正文") for n in range(20)
        ]
        concurrent = send_concurrently(messages, concurrency=10)
        assert (concurrent.sent, concurrent.failed) == (20, 0)
        sequential = send_sequentially(messages[:5])
        assert (sequential.sent, sequential.failed) == (5, 0)
        # Each message arrived once (the sequential baseline sends without a key header); how much
        # faster the fan-out is against a slow far end is bench/'s to show, never a test's.
        assert receiver.keys() == Counter({f"bench|{n}": 1 for n in range(20)})
        assert len(receiver.requests) == 25
