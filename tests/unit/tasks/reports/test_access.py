"""Who may report, as which unit, and who may review: the role rules every front door calls."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from models.enums import TokenRole
from models.errors import Forbidden
from tasks.reports.access import (
    DESK_ACTIONS,
    LEADER_ACTIONS,
    LEADER_ONLY_ACTIONS,
    can_read_everything,
    check_desk_action,
    check_may_review,
    idempotency_scope,
    may_take,
    may_use_desk,
    reporting_unit,
)
from tasks.reports.tokens import Principal

UNIT = Principal(1, TokenRole.UNIT, "街道联络员", unit_id=3, unit_code="jiedao")
COORDINATOR = Principal(2, TokenRole.COORDINATOR, "督办室")
LEADER = Principal(3, TokenRole.LEADER, "局长")
PAPER = datetime(2023, 12, 15, 2, tzinfo=UTC)


def test_a_unit_reports_as_itself_and_now() -> None:
    assert reporting_unit(UNIT, None, submitted_at=None) == "jiedao"
    assert reporting_unit(UNIT, "jiedao", submitted_at=None) == "jiedao"
    with pytest.raises(Forbidden) as other:
        reporting_unit(UNIT, "bangongshi", submitted_at=None)
    assert (other.value.field, other.value.message) == (
        "unit",
        "a token of unit 'jiedao' reports as that unit only",
    )
    with pytest.raises(Forbidden) as backdated:
        reporting_unit(UNIT, None, submitted_at=PAPER)
    assert backdated.value.field == "submitted_at"


def test_a_coordinator_reports_for_any_unit_and_a_leader_only_reads() -> None:
    assert reporting_unit(COORDINATOR, None, submitted_at=PAPER) is None  # the measure's lead unit
    assert reporting_unit(COORDINATOR, "bangongshi", submitted_at=PAPER) == "bangongshi"
    with pytest.raises(Forbidden, match="a leader token may only read"):
        reporting_unit(LEADER, None, submitted_at=None)


def test_only_coordinators_review_and_everyone_but_units_reads_everything() -> None:
    check_may_review(COORDINATOR, "accept")
    for principal in (UNIT, LEADER):
        with pytest.raises(Forbidden) as refused:
            check_may_review(principal, "reopen")
        assert (refused.value.field, refused.value.message) == (
            "role",
            "only a coordinator may reopen a measure",
        )
    assert [can_read_everything(p) for p in (UNIT, COORDINATOR, LEADER)] == [False, True, True]


def test_idempotency_keys_are_scoped_by_token_identity() -> None:
    assert [idempotency_scope(p) for p in (UNIT, COORDINATOR, LEADER)] == [
        "unit:jiedao",
        "coordinator#2",
        "leader#3",
    ]
    # A unit coded like a role never shares that role's key space.
    lookalike = Principal(4, TokenRole.UNIT, "同名单位", unit_id=9, unit_code="coordinator")
    assert idempotency_scope(lookalike) != idempotency_scope(COORDINATOR)


def test_the_desk_lists_the_notice_sign_off_as_the_one_leader_action() -> None:
    assert {"notice_sign_off"} == LEADER_ACTIONS and LEADER_ACTIONS <= DESK_ACTIONS
    assert [may_use_desk(p) for p in (UNIT, COORDINATOR, LEADER)] == [False, True, True]
    for action in DESK_ACTIONS:
        # The sign-off is the leaders': the coordinators' office drafted the text it would approve.
        assert may_take(COORDINATOR, action) == (action not in LEADER_ONLY_ACTIONS)
        assert not may_take(UNIT, action)
        assert may_take(LEADER, action) == (action == "notice_sign_off")
    for action in DESK_ACTIONS - LEADER_ACTIONS:
        with pytest.raises(Forbidden, match="a leader token may only read"):
            check_desk_action(LEADER, action)
    assert {"notice_sign_off"} == LEADER_ONLY_ACTIONS
    with pytest.raises(Forbidden):
        check_desk_action(COORDINATOR, "notice_sign_off")
    check_desk_action(COORDINATOR, "accept")
    with pytest.raises(Forbidden, match="only a coordinator may accept"):
        check_desk_action(UNIT, "accept")
    assert not may_take(COORDINATOR, "rewrite the ledger")  # an action the desk does not offer
