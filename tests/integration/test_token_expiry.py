"""Tokens expire: unit tokens after 180 days, role tokens after 30 (settings, `--expires`); an expired
token gets 401 naming why; `token list` shows times in the configured zone; `--link` prints a sign-in link."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from flows.web.app import create_app
from models.db import Database
from models.enums import TokenRole
from models.errors import InvalidTokenRequest
from models.settings import Settings
from models.tables import ApiToken
from tasks.reports.tokens import default_lifetime, describe_refused, issue_token, refusal_reason, verify_token
from tests.factories import make_unit

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
Cli = Callable[..., Any]


def test_default_lifetimes_are_180_days_for_units_and_30_for_roles() -> None:
    assert default_lifetime(TokenRole.UNIT, unit_days=180, role_days=30) == timedelta(days=180)
    assert default_lifetime(TokenRole.COORDINATOR, unit_days=180, role_days=30) == timedelta(days=30)
    assert default_lifetime(TokenRole.LEADER, unit_days=180, role_days=30) == timedelta(days=30)
    assert Settings().unit_token_days == 180 and Settings().role_token_days == 30


def test_a_token_stops_verifying_when_it_expires(session: Any) -> None:
    make_unit(session, "jiedao")
    issued = issue_token(
        session, role=TokenRole.UNIT, unit_code="jiedao", now=NOW, expires_at=NOW + timedelta(days=1)
    )
    assert verify_token(session, issued.secret, now=NOW + timedelta(hours=23)) is not None
    assert verify_token(session, issued.secret, now=NOW + timedelta(days=1)) is None
    reason = refusal_reason(session, issued.secret, now=NOW + timedelta(days=2))
    assert reason.startswith("the token expired at 2026-12-01T02:00:00")
    assert "expired token #" in describe_refused(session, issued.secret, NOW + timedelta(days=2))
    with pytest.raises(InvalidTokenRequest, match="expire after"):
        issue_token(session, role=TokenRole.LEADER, now=NOW, expires_at=NOW)


def test_an_expired_token_gets_401_with_the_reason(settings: Settings, database: Database) -> None:
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        old = issue_token(
            session, role=TokenRole.LEADER, now=now - timedelta(days=31), expires_at=now - timedelta(days=1)
        )
        revoked = issue_token(session, role=TokenRole.LEADER, now=now)
        session.get(ApiToken, revoked.token_id).revoked_at = now  # type: ignore[union-attr]
        session.commit()
    with TestClient(create_app(settings)) as client:
        expired = client.get("/api/me", headers={"Authorization": f"Bearer {old.secret}"})
        gone = client.get("/api/me", headers={"Authorization": f"Bearer {revoked.secret}"})
        unknown = client.get("/api/me", headers={"Authorization": "Bearer zg_unknown"})
    assert expired.status_code == 401 and "the token expired at" in expired.json()["detail"]["message"]
    assert gone.status_code == 401 and gone.json()["detail"]["message"] == "the token was revoked"
    assert unknown.status_code == 401 and unknown.json()["detail"]["message"] == "the token is unknown"


def _expiry(database: Database) -> tuple[datetime, datetime]:
    with database.unit_of_work() as session:
        token = session.scalar(select(ApiToken).order_by(ApiToken.id.desc()))
        assert token is not None and token.expires_at is not None
        return token.created_at, token.expires_at


def test_issue_sets_the_default_or_the_given_expiry(cli: Cli, database: Database, monkeypatch: Any) -> None:
    with database.unit_of_work() as session:
        make_unit(session, "jiedao")
        session.commit()
    assert cli("token", "issue", "--unit", "jiedao").exit_code == 0
    created, expires = _expiry(database)
    assert expires - created == timedelta(days=180)
    assert cli("token", "issue", "--role", "coordinator").exit_code == 0
    created, expires = _expiry(database)
    assert expires - created == timedelta(days=30)
    monkeypatch.setenv("ZHENGGAI_ROLE_TOKEN_DAYS", "7")
    assert cli("token", "issue", "--role", "leader").exit_code == 0
    created, expires = _expiry(database)
    assert expires - created == timedelta(days=7)
    assert cli("token", "issue", "--role", "leader", "--expires", "12h").exit_code == 0
    created, expires = _expiry(database)
    assert expires - created == timedelta(hours=12)
    issued = cli("token", "issue", "--unit", "jiedao", "--expires", "2030-06-30")
    assert issued.exit_code == 0 and "expires 2030-06-30 23:59" in issued.stderr
    _, expires = _expiry(database)
    assert expires == datetime(2030, 6, 30, 15, 59, 59, 999999, tzinfo=UTC)  # the end of that day in Shanghai
    bad = cli("token", "issue", "--unit", "jiedao", "--expires", "soon")
    assert bad.exit_code != 0 and "--expires" in bad.output
    past = cli("token", "issue", "--unit", "jiedao", "--expires", "2020-01-01")
    assert past.exit_code == 1 and "expire after" in past.output


def test_token_list_shows_times_in_the_configured_zone(cli: Cli, database: Database) -> None:
    with database.unit_of_work() as session:
        issue_token(
            session, role=TokenRole.LEADER, label="局领导", now=NOW, expires_at=NOW + timedelta(days=30)
        )
        session.commit()
    listed = cli("token", "list")
    assert listed.exit_code == 0
    assert "2026-11-30 10:00" in listed.output and "2026-12-30 10:00" in listed.output
    assert "Asia/Shanghai" in listed.output


def test_issue_link_prints_the_link_alone_on_stdout(cli: Cli, database: Database, monkeypatch: Any) -> None:
    with database.unit_of_work() as session:
        make_unit(session, "jiedao")
        session.commit()
    without = cli("token", "issue", "--unit", "jiedao", "--link")
    assert without.exit_code != 0 and "ZHENGGAI_PUBLIC_URL" in without.output
    monkeypatch.setenv("ZHENGGAI_PUBLIC_URL", "https://zhenggai.example.gov.cn/")
    issued = cli("token", "issue", "--unit", "jiedao", "--link")
    assert issued.exit_code == 0, issued.output
    lines = issued.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("https://zhenggai.example.gov.cn/signin/")
    assert "zg_" not in issued.stdout and "sign-in link" in issued.stderr
    # A coordinator's or leader's link signs into the desk (docs/desk.md).
    role = cli("token", "issue", "--role", "leader", "--link")
    assert role.exit_code == 0, role.output
    (desk_link,) = role.stdout.splitlines()
    assert desk_link.startswith("https://zhenggai.example.gov.cn/signin/") and desk_link.endswith("/desk")
