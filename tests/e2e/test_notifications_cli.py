"""``zhenggai notifications`` (list, filters, --resend) and ``zhenggai sweep`` through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import DeliveryStatus
from models.tables import Delivery
from tests.factories import make_contact, make_measure, make_unit
from tests.support.loopback import JsonReceiver, json_receiver

__all__ = ["json_receiver"]


def _ledger(database: Database, receiver: JsonReceiver) -> None:
    with database.unit_of_work() as session:
        for code in ("jiedao", "zhifadui"):
            unit = make_unit(session, code)
            make_contact(session, f"{code}-liaison", unit=unit, urls=[receiver.url(code)])
            make_measure(session, code=f"M-{code}", lead_unit=unit, deadline=date(2023, 12, 29))
        session.commit()


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
def test_sweep_then_list_then_resend(
    database: Database, json_receiver: JsonReceiver, cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.cli.common import console

    monkeypatch.setenv("ZHENGGAI_DELIVERY_RETRIES", "0")
    monkeypatch.setattr(console, "width", 240)  # a wide terminal: one line per message
    json_receiver.dead.add("/zhifadui")
    _ledger(database, json_receiver)

    swept = cli("sweep", "--as-of", "2023-12-26")
    assert swept.exit_code == 1, swept.output  # a message failed: the sweep says how many and exits 1
    assert '"sent": 1' in swept.output and '"failed": 1' in swept.output
    assert "error: sweep: 1 message(s) failed" in swept.stderr

    listing = cli("notifications")
    assert listing.exit_code == 0
    assert "M-jiedao" in listing.output and "M-zhifadui" in listing.output
    assert f"json://127.0.0.1:{json_receiver.port}/…" in listing.output and "/jiedao" not in listing.output
    assert "2 message(s): failed 1, sent 1" in listing.output

    failed = cli("notifications", "--status", "failed", "--unit", "zhifadui", "--date", "2023-12-26")
    assert "M-zhifadui" in failed.output and "M-jiedao" not in failed.output and "500" in failed.output
    assert "0 message(s)" in cli("notifications", "--date", "2023-12-25").output

    still_dead = cli("notifications", "--resend", "--unit", "zhifadui")
    assert still_dead.exit_code == 1 and "1 of 1 re-sent message(s) failed again" in still_dead.stderr

    json_receiver.dead.clear()
    resent = cli("notifications", "--resend", "--unit", "zhifadui")
    assert resent.exit_code == 0 and "re-sent 1 message(s): sent 1" in resent.output
    assert len(json_receiver.to("zhifadui")) == 3 and len(json_receiver.to("jiedao")) == 1
    with database.unit_of_work() as session:
        assert set(session.scalars(select(Delivery.status))) == {DeliveryStatus.SENT}
    assert "nothing to re-send" in cli("notifications", "--resend").output


def test_bad_filters_are_usage_errors(database: Database, cli: Callable[..., Any]) -> None:
    assert cli("notifications", "--status", "lost").exit_code == 2
    assert cli("notifications", "--date", "yesterday").exit_code == 2
    result = cli("notifications", "--unit", "nowhere")
    assert result.exit_code == 1 and "no unit 'nowhere'" in result.output
