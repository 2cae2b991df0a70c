"""The draft_notice flow under the Prefect harness: it drafts, suspends for the leader's sign-off (a typed
form), and a decision taken in the CLI or entered as the run's input resumes it; the first decision wins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import DraftDecision, DraftStatus
from models.tables import NoticeDecision, NoticeDraft
from tests.conftest import SEED_ROUND

pytestmark = [pytest.mark.prefect, pytest.mark.usefixtures("prefect_harness")]


def _suspended_run(monkeypatch: pytest.MonkeyPatch) -> tuple[UUID, int]:
    """Start a draft_notice run of the deployment in-process until it suspends; its id and its draft."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import Pause
    from prefect.flow_engine import run_flow

    from flows.notice import draft_deployment, draft_notice

    monkeypatch.setenv("ZHENGGAI_APPROVAL_DAYS", "2")
    from models.settings import get_settings

    get_settings.cache_clear()
    deployment_id = draft_deployment().apply()
    with get_client(sync_client=True) as client:
        flow_run = client.create_flow_run_from_deployment(
            deployment_id, parameters={"round_code": SEED_ROUND, "as_of": "2023-12-31", "requested_by": "e2e"}
        )
    with pytest.raises(Pause):
        run_flow(draft_notice, flow_run=flow_run)
    with get_client(sync_client=True) as client:
        state = client.read_flow_run(flow_run.id).state
    assert state is not None and state.is_paused() and state.name == "Suspended"
    timeout = state.state_details.pause_timeout
    assert timeout is not None
    assert timedelta(days=1, hours=23) < timeout - datetime.now(UTC) <= timedelta(days=2)
    return flow_run.id, _draft_of(flow_run.id)


def _draft_of(run_id: UUID) -> int:
    from models.db import get_database
    from models.settings import get_settings

    with get_database(get_settings()).unit_of_work() as session:
        draft = session.scalar(select(NoticeDraft).where(NoticeDraft.flow_run_id == str(run_id)))
        assert draft is not None
        return draft.id


def _run_again(run_id: UUID) -> Any:
    """What a worker does with a resumed suspended run: run it again from the top."""
    from prefect.client.orchestration import get_client
    from prefect.flow_engine import run_flow

    from flows.notice import draft_notice

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run_id)
    return run_flow(draft_notice, flow_run=flow_run)


def test_an_approval_in_the_cli_resumes_the_waiting_run(
    cli: Callable[..., Any], seeded_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, draft = _suspended_run(monkeypatch)

    approved = cli("notice", "approve", draft, "--allow-missing")
    assert approved.exit_code == 0, approved.output
    assert approved.stderr == ""  # the run was resumed

    result = _run_again(run_id)
    assert result["draft"] == draft and result["status"] == "approved"
    assert result["outcome"] == "recorded by the CLI or the desk"
    with seeded_database.unit_of_work() as session:
        decisions = session.scalars(select(NoticeDecision)).all()
        assert [(d.decision, d.actor, d.source) for d in decisions] == [
            (DraftDecision.APPROVE, "bureau-head", "cli")
        ]
        drafts = session.scalars(select(NoticeDraft)).all()
        assert len(drafts) == 1  # the resumed run found its draft rather than making another


def test_a_decision_entered_as_the_run_input_is_recorded_and_the_first_wins(
    cli: Callable[..., Any], seeded_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flow_runs import resume_flow_run

    run_id, draft = _suspended_run(monkeypatch)

    resume_flow_run(run_id, run_input={"decision": "return", "by": "bureau-head", "note": "请补充数据"})
    result = _run_again(run_id)
    assert result["status"] == "returned" and result["outcome"] == "recorded"

    late = cli("notice", "approve", draft)
    assert late.exit_code == 1 and "was returned" in late.stderr
    with seeded_database.unit_of_work() as session:
        decision = session.scalars(select(NoticeDecision)).one()
        assert (decision.decision, decision.note, decision.source) == (
            DraftDecision.RETURN,
            "请补充数据",
            "prefect",
        )
        assert session.get(NoticeDraft, draft).status == DraftStatus.RETURNED  # type: ignore[union-attr]


def test_a_decision_in_the_desk_resumes_the_waiting_run(
    seeded_database: Database, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from flows.web.app import create_app
    from tests.support.desk_notice import desk_session, role_link
    from tests.support.portal import portal_settings

    run_id, draft = _suspended_run(monkeypatch)
    config = portal_settings(settings)
    with TestClient(create_app(config)) as client:
        csrf = desk_session(client, role_link(seeded_database, config, "leader", "分管副局长"))
        answer = client.post(
            f"/desk/notice/drafts/{draft}/approve",
            data={"csrf": csrf, "note": "同意", "allow_missing": "1"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text

    result = _run_again(run_id)
    assert result["status"] == "approved" and result["outcome"] == "recorded by the CLI or the desk"
    with seeded_database.unit_of_work() as session:
        decision = session.scalars(select(NoticeDecision)).one()
        assert (decision.decision, decision.note, decision.source) == (DraftDecision.APPROVE, "同意", "web")
        assert decision.actor.startswith("desk token #") and "分管副局长" in decision.actor


def test_the_form_by_an_unknown_contact_is_not_recorded_and_the_draft_keeps_waiting(
    seeded_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prefect.flow_runs import resume_flow_run

    run_id, _draft = _suspended_run(monkeypatch)
    resume_flow_run(run_id, run_input={"decision": "approve", "by": "nobody", "allow_missing": True})
    result = _run_again(run_id)
    assert result["status"] == "drafting"
    assert result["outcome"].startswith("not recorded: no contact 'nobody'")
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeDecision)).all() == []
