"""The ``sweep`` flow under Prefect against real loopback endpoints: exactly once, retries, failures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import DeliveryStatus
from models.settings import Settings, get_settings
from models.tables import Delivery, StatusEvent
from tests.factories import make_contact, make_measure, make_problem, make_round, make_unit
from tests.support.loopback import JsonReceiver, SmtpReceiver, json_receiver, smtp_receiver

__all__ = ["json_receiver", "smtp_receiver"]
pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]

TZ = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime.combine(date(2023, 12, 26), time(10), tzinfo=TZ)  # 3 working days before Fri 12-29
TEXT = "开展市容环境集中整治，向沿街商户发放宣传一封信"


@pytest.fixture
def fast_retries(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("ZHENGGAI_DELIVERY_RETRIES", "3")
    monkeypatch.setenv("ZHENGGAI_DELIVERY_RETRY_DELAY_SECONDS", "0.05")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _ledger(database: Database, smtp: SmtpReceiver, receiver: JsonReceiver) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(
            session,
            coordinator=make_contact(session, "duban-office", urls=[receiver.url("duban")]),
            head=make_contact(session, "bureau-head", urls=[receiver.url("head")]),
        )
        problem = make_problem(session, round_)
        unit = make_unit(session, "jiedao", name="各街道办事处")
        make_contact(
            session,
            "jiedao-liaison",
            unit=unit,
            urls=[
                smtp.url("jiedao@example.org"),
                receiver.url("jiedao"),
                receiver.url("flaky"),
                receiver.url("dead"),
            ],
        )
        other = make_unit(session, "zhifadui", name="综合执法大队")
        make_contact(session, "zhifadui-liaison", unit=other, urls=[receiver.url("zhifadui")])
        leader = make_contact(
            session, "leader-li", person="李某某", role="分管副局长", urls=[receiver.url("leader")]
        )
        make_measure(
            session,
            problem,
            code="XH-08-1",
            marker="一是",
            text=TEXT,
            lead_unit=unit,
            leader=leader,
            deadline=date(2023, 12, 29),
        )
        make_measure(
            session, problem, code="XH-08-2", lead_unit=other, leader=leader, deadline=date(2023, 12, 12)
        )
        session.commit()


def test_sweep_delivers_once_retries_the_flaky_fails_the_dead_and_repeats_nothing(
    database: Database, fast_retries: Settings, smtp_receiver: SmtpReceiver, json_receiver: JsonReceiver
) -> None:
    from flows.notify import sweep

    json_receiver.fail_first["/flaky"] = 2
    json_receiver.dead.add("/dead")
    _ledger(database, smtp_receiver, json_receiver)

    result = sweep(as_of=TUESDAY)
    # XH-08-1: reminder (step -3) to 4 URLs; XH-08-2 is 10 working days overdue: overdue to its unit,
    # blue to the leader, yellow to the coordinator (7), not yet red (15).
    assert result["planned"]["recorded"] == 7
    assert result["delivered"] == {"due": 7, "in_doubt": 0, "sent": 6, "failed": 1}

    [mail] = smtp_receiver.mails
    assert mail.subject == "【整改提醒】XH-08-1 距完成时限还有3个工作日"
    assert (
        f"一是{TEXT}" in mail.text
        and "完成时限：2023年12月29日" in mail.text
        and "剩余工作日：3 个" in mail.text
    )
    [webhook] = json_receiver.to("jiedao")
    assert webhook.body["title"] == mail.subject and TEXT in webhook.body["message"]
    assert len(json_receiver.to("flaky")) == 3  # failed twice, then delivered: once
    assert len(json_receiver.to("dead")) == 4  # the first attempt and 3 retries
    assert json_receiver.to("leader")[0].body["title"].startswith("【蓝色督办】XH-08-2 逾期10个工作日")
    assert json_receiver.to("duban")[0].body["title"].startswith("【黄色督办】XH-08-2")
    assert json_receiver.to("head") == []
    assert len(json_receiver.to("zhifadui")) == 1

    with database.unit_of_work() as session:
        dead = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.FAILED)).one()
        assert dead.attempts == 4 and dead.recipient_masked == f"json://127.0.0.1:{json_receiver.port}/…"
        levels = session.scalars(select(StatusEvent.to_value).where(StatusEvent.kind == "escalation")).all()
        assert sorted(levels) == ["blue", "unit", "yellow"]

    before = len(json_receiver.requests), len(smtp_receiver.mails)
    again = sweep(as_of=TUESDAY.replace(hour=15))
    assert again["planned"]["recorded"] == 0 and again["delivered"]["due"] == 0
    assert (len(json_receiver.requests), len(smtp_receiver.mails)) == before
    served = [r.key for r in json_receiver.requests if r.path not in ("/flaky", "/dead")]
    assert len(served) == len(set(served)) == 4  # and one e-mail


def test_an_evening_sweep_holds_messages_until_the_next_working_morning(
    database: Database, fast_retries: Settings, smtp_receiver: SmtpReceiver, json_receiver: JsonReceiver
) -> None:
    from flows.notify import sweep

    _ledger(database, smtp_receiver, json_receiver)
    friday_evening = datetime.combine(date(2023, 12, 22), time(19, 30), tzinfo=TZ)
    held = sweep(as_of=friday_evening)
    assert held["planned"]["held"] == held["planned"]["recorded"] > 0 and held["delivered"]["due"] == 0
    assert json_receiver.requests == [] and smtp_receiver.mails == []
    monday = sweep(as_of=datetime.combine(date(2023, 12, 25), time(8, 31), tzinfo=TZ))
    assert monday["delivered"]["sent"] >= held["planned"]["recorded"] - 1  # the dead URL fails
    assert monday["planned"]["recorded"] == 0  # Monday's plan is what Friday evening held


def test_check_measure_hand_over_plans_and_delivers_one_measure(
    database: Database, fast_retries: Settings, smtp_receiver: SmtpReceiver, json_receiver: JsonReceiver
) -> None:
    from flows.notify import notify_measure

    _ledger(database, smtp_receiver, json_receiver)
    result = notify_measure("XH-08-2", scheduled_time=TUESDAY, now=TUESDAY)
    assert result["planned"]["recorded"] == 3 and result["delivered"]["sent"] == 3
    assert smtp_receiver.mails == [] and json_receiver.to("jiedao") == []
    assert notify_measure("XH-08-2", scheduled_time=TUESDAY, now=TUESDAY)["delivered"]["due"] == 0


def test_digest_once_per_week(
    database: Database, fast_retries: Settings, smtp_receiver: SmtpReceiver, json_receiver: JsonReceiver
) -> None:
    from flows.notify import digest

    _ledger(database, smtp_receiver, json_receiver)
    first = digest(as_of=TUESDAY)
    assert first["planned"]["recorded"] == 5  # jiedao: 4 URLs, zhifadui: 1
    [mail] = smtp_receiver.mails
    assert mail.subject.startswith("【整改周报】各街道办事处 2023年第52周")
    assert "XH-08-1" in mail.text and "剩3个工作日" in mail.text
    assert digest(as_of=datetime.combine(date(2023, 12, 29), time(10), tzinfo=TZ))["planned"]["recorded"] == 0


def test_a_back_dated_sweep_judges_quiet_hours_by_the_wall_clock(
    database: Database,
    fast_retries: Settings,
    smtp_receiver: SmtpReceiver,
    json_receiver: JsonReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--as-of says Tuesday 10:00 (allowed), but the sweep runs at 04:23: nothing is sent until 08:30."""
    from flows.notify import sweep

    monkeypatch.setenv("ZHENGGAI_QUIET_HOURS_BY_WALL_CLOCK", "true")
    get_settings.cache_clear()
    _ledger(database, smtp_receiver, json_receiver)
    night = datetime.combine(date(2023, 12, 27), time(4, 23), tzinfo=TZ)

    held = sweep(as_of=TUESDAY, wall_clock=night)

    assert held["planned"]["recorded"] == 7
    assert (
        held["delivered"]["held_until"]
        == datetime.combine(date(2023, 12, 27), time(8, 30), tzinfo=TZ).isoformat()
    )
    assert json_receiver.requests == [] and smtp_receiver.mails == []
    with database.unit_of_work() as session:
        assert set(session.scalars(select(Delivery.status))) == {DeliveryStatus.PENDING}

    morning = sweep(as_of=TUESDAY, wall_clock=night.replace(hour=9))
    assert morning["delivered"]["due"] == 7 and len(smtp_receiver.mails) == 1
