"""Issuing, listing, revoking and verifying tokens on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from models.enums import TokenRole
from models.errors import UnknownUnit
from models.tables import ApiToken
from tasks.reports.tokens import (
    TOKEN_PREFIX,
    InvalidTokenRequest,
    UnknownToken,
    hash_token,
    issue_token,
    list_tokens,
    revoke_token,
    verify_token,
)
from tests.factories import make_unit

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)


def test_only_the_hash_is_stored_and_the_token_verifies(session: Any) -> None:
    make_unit(session, "jiedao")
    issued = issue_token(session, role=TokenRole.UNIT, unit_code="jiedao", now=NOW)
    session.commit()
    assert issued.secret.startswith(TOKEN_PREFIX) and len(issued.secret) > 40
    row = session.scalar(select(ApiToken))
    assert row.token_hash == hash_token(issued.secret)
    assert issued.secret not in repr(row.__dict__)
    principal = verify_token(session, issued.secret, now=NOW)
    assert principal is not None
    assert (principal.role, principal.unit_code, principal.label) == (TokenRole.UNIT, "jiedao", "jiedao")
    assert row.last_used_at == NOW


def test_two_tokens_differ(session: Any) -> None:
    first = issue_token(session, role=TokenRole.LEADER, now=NOW)
    second = issue_token(session, role=TokenRole.LEADER, now=NOW)
    assert first.secret != second.secret


def test_wrong_revoked_or_malformed_tokens_do_not_verify(session: Any) -> None:
    issued = issue_token(session, role=TokenRole.COORDINATOR, label="督办室", now=NOW)
    for bad in [None, "", "zg_", "not-prefixed", issued.secret + "x", issued.secret[:-1], "zg_" + "a" * 300]:
        assert verify_token(session, bad, now=NOW) is None, bad
    revoked = revoke_token(session, "督办室", now=NOW)
    assert revoked.revoked_at == NOW
    assert verify_token(session, issued.secret, now=NOW) is None
    with pytest.raises(UnknownToken):
        revoke_token(session, str(issued.token_id), now=NOW)  # already revoked


def test_last_use_is_refreshed_at_most_once_a_minute(session: Any) -> None:
    issued = issue_token(session, role=TokenRole.LEADER, now=NOW)
    verify_token(session, issued.secret, now=NOW)
    verify_token(session, issued.secret, now=NOW + timedelta(seconds=30))
    row = session.get(ApiToken, issued.token_id)
    assert row.last_used_at == NOW
    verify_token(session, issued.secret, now=NOW + timedelta(minutes=2))
    assert row.last_used_at == NOW + timedelta(minutes=2)


def test_role_and_unit_must_fit(session: Any) -> None:
    make_unit(session, "jiedao")
    with pytest.raises(InvalidTokenRequest):
        issue_token(session, role=TokenRole.UNIT, now=NOW)
    with pytest.raises(InvalidTokenRequest):
        issue_token(session, role=TokenRole.LEADER, unit_code="jiedao", now=NOW)
    with pytest.raises(UnknownUnit):
        issue_token(session, role=TokenRole.UNIT, unit_code="nobody", now=NOW)


def test_revoking_by_an_ambiguous_label_names_the_ids(session: Any) -> None:
    first = issue_token(session, role=TokenRole.LEADER, label="局领导", now=NOW)
    issue_token(session, role=TokenRole.LEADER, label="局领导", now=NOW)
    with pytest.raises(UnknownToken, match="2 live tokens"):
        revoke_token(session, "局领导", now=NOW)
    revoke_token(session, f"#{first.token_id}", now=NOW)
    assert [t.label for t in list_tokens(session)] == ["局领导"]
    assert len(list_tokens(session, include_revoked=True)) == 2
