"""A round's second review step before 销号 (its plan's review_steps) through every door that closes: the
review task, the API (a token per person, four-eyes across doors) and the CLI; a round without the
setting closes as before. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import MeasureStatus, TokenRole
from models.errors import ReviewStepMissing, SameReviewer
from models.settings import Settings
from models.tables import Measure
from tasks.reports.review import ReviewAction, claim_stages, measure_history, review_measure
from tasks.reports.tokens import issue_token
from tests.factories import make_measure, make_problem, make_round
from tests.integration.test_api import build_ledger, client_for, post_report

NOW = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)
TWO = ["分管领导确认", "销号"]


def two_step_measure(session: Any, code: str = "R-1") -> Measure:
    problem = make_problem(session, round=make_round(session, review_steps=TWO))
    return make_measure(session, problem, code=code, status=MeasureStatus.DONE)


def test_the_confirmation_comes_first_and_another_person_closes(session: Any) -> None:
    measure = two_step_measure(session)
    with pytest.raises(ReviewStepMissing, match="分管领导确认 comes before 销号"):
        review_measure(session, "R-1", ReviewAction.ACCEPT, reason="台账齐全", actor="督查室", now=NOW)
    outcome = review_measure(session, "R-1", ReviewAction.CONFIRM, reason="同意销号", actor="李某某", now=NOW)
    assert (outcome.step, outcome.next_step, outcome.to_status) == (
        "分管领导确认",
        "销号",
        MeasureStatus.DONE,
    )
    assert measure.status == MeasureStatus.DONE
    assert claim_stages(session, [measure.id])[measure.id].confirmed
    with pytest.raises(SameReviewer, match="four-eyes"):
        review_measure(session, "R-1", ReviewAction.ACCEPT, reason="台账齐全", actor="李某某", now=NOW)
    closed = review_measure(session, "R-1", ReviewAction.ACCEPT, reason="台账齐全", actor="督查室", now=NOW)
    session.commit()
    assert closed.step == "销号" and measure.status == MeasureStatus.CLOSED
    history = [(e.kind, e.to_value, e.actor, e.reason) for e in measure_history(session, "R-1")]
    assert history == [
        ("review", "confirm", "李某某", "分管领导确认：同意销号"),
        ("review", "accept", "督查室", "台账齐全"),
        ("status", "closed", "督查室", "销号：台账齐全"),
    ]


def test_a_return_after_the_confirmation_starts_the_next_claim_over(session: Any) -> None:
    measure = two_step_measure(session)
    review_measure(session, "R-1", ReviewAction.CONFIRM, reason="同意", actor="李某某", now=NOW)
    review_measure(session, "R-1", ReviewAction.RETURN, reason="照片不清", actor="督查室", now=NOW)
    from tasks.ledger.history import change_status

    change_status(session, measure, MeasureStatus.DONE, actor="unit", now=NOW, reason="再次申报完成")
    session.flush()
    stage = claim_stages(session, [measure.id])[measure.id]
    assert stage.taken == () and stage.label == "待分管领导确认"


def test_a_round_without_the_setting_closes_in_one_step(session: Any) -> None:
    make_measure(session, code="R-1", status=MeasureStatus.DONE)
    with pytest.raises(ReviewStepMissing, match="one step"):
        review_measure(session, "R-1", ReviewAction.CONFIRM, reason="同意", actor="李某某", now=NOW)
    assert (
        review_measure(session, "R-1", ReviewAction.ACCEPT, reason="ok", actor="督查室", now=NOW).step
        == "销号"
    )


def test_the_api_confirms_then_closes_with_two_tokens(settings: Settings, database: Database) -> None:
    ledger = build_ledger(database)
    code = ledger.own_measure
    with database.unit_of_work() as session:
        measure = session.scalar(select(Measure).where(Measure.code == code))
        assert measure is not None
        measure.problem.round.review_steps = TWO
        # The 分管领导's confirmation is recorded by a second coordinator account (leaders only read).
        second = issue_token(
            session, role=TokenRole.COORDINATOR, unit_code=None, label="分管领导秘书", now=NOW
        )
        session.commit()
    with client_for(settings) as client:

        def review(action: str, body: dict[str, str], headers: dict[str, str]) -> Any:
            return client.post(f"/api/measures/{code}/{action}", json=body, headers=headers)

        first = ledger.headers("coordinator")
        other = {"Authorization": f"Bearer {second.secret}"}
        assert (
            post_report(client, ledger, "unit", code, claimed_status="done", text="已完成").status_code == 201
        )
        early = review("accept", {"note": "台账齐全"}, first)
        assert early.status_code == 409 and early.json()["detail"]["field"] == "review_steps"
        assert review("confirm", {"note": "同意"}, ledger.headers("leader")).status_code == 403
        confirmed = review("confirm", {"note": "同意销号"}, other)
        assert confirmed.status_code == 200, confirmed.text
        body = confirmed.json()
        assert (body["action"], body["step"], body["next_step"], body["to_status"]) == (
            "confirm",
            "分管领导确认",
            "销号",
            "done",
        )
        same = review("accept", {"note": "台账齐全"}, other)
        assert same.status_code == 403 and same.json()["detail"]["field"] == "actor"
        closed = review("accept", {"note": "台账齐全"}, first)
        assert closed.status_code == 200 and closed.json()["to_status"] == "closed"
        history = client.get(f"/api/measures/{code}/history", headers=first).json()
    reviews = [(e["to"], e["actor"]) for e in history if e["kind"] == "review"]
    assert reviews == [
        ("confirm", f"api token #{second.token_id} '分管领导秘书'"),
        ("accept", "api token #3 'label-coordinator'"),
    ]


def test_the_cli_confirms_then_closes_and_refuses_the_same_actor(cli: Any, database: Database) -> None:
    with database.unit_of_work() as session:
        two_step_measure(session, "R-9")
        session.commit()
    early = cli("review", "accept", "R-9", "--note", "台账齐全")
    assert early.exit_code == 1 and "分管领导确认 comes before 销号" in early.output
    confirmed = cli("review", "confirm", "R-9", "--note", "同意", "--actor", "李某某")
    assert confirmed.exit_code == 0 and "R-9: 分管领导确认 (done; next: 销号)" in confirmed.output
    same = cli("review", "accept", "R-9", "--note", "台账齐全", "--actor", "李某某")
    assert same.exit_code == 1 and "four-eyes" in same.output
    closed = cli("review", "accept", "R-9", "--note", "台账齐全", "--actor", "督查室")
    assert closed.exit_code == 0 and "销号 (done → closed)" in closed.output


def test_the_plan_sets_the_steps_dry_run_shows_the_diff_and_export_writes_them(
    cli: Any, database: Database, tmp_path: Any
) -> None:
    from pathlib import Path

    source = Path("examples/xinhua-2023/plan.yaml").read_text(encoding="utf-8")
    assert cli("plan", "load", "examples/xinhua-2023/plan.yaml").exit_code == 0
    two_step = tmp_path / "plan.yaml"
    two_step.write_text(
        source.replace(
            "  head: bureau-head\n", "  head: bureau-head\n  review_steps: [分管领导确认, 销号]\n"
        ),
        encoding="utf-8",
    )
    dry = cli("plan", "load", two_step, "--dry-run")
    assert dry.exit_code == 0 and "xinhua-2023-xc2 审核步骤: 销号（一步） → 分管领导确认、销号" in dry.output
    assert "review_steps" not in cli("plan", "export").output  # the dry run wrote nothing
    assert cli("plan", "load", two_step).exit_code == 0
    assert "review_steps:\n  - 分管领导确认\n  - 销号" in cli("plan", "export").output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        source.replace("  head: bureau-head\n", "  head: bureau-head\n  review_steps: [分管领导确认]\n")
    )
    refused = cli("plan", "load", bad)
    assert refused.exit_code == 1 and "review_steps: the last step is 销号" in refused.output


def test_the_desk_shows_the_step_and_offers_the_right_form(settings: Settings, database: Database) -> None:
    from fastapi.testclient import TestClient

    from flows.web.app import create_app
    from tests.integration.test_desk import events_of, sign_in, status_of
    from tests.support.desk import build_desk_ledger
    from tests.support.portal import portal_settings

    config = portal_settings(settings)
    ledger = build_desk_ledger(database, config, review_steps=TWO)
    code = ledger.claimed
    with TestClient(create_app(config)) as confirmer, TestClient(create_app(config)) as closer:
        csrf = sign_in(confirmer, ledger, "confirmer")
        page = confirmer.get("/desk/review").text
        assert f'id="stage-{code}">待分管领导确认<' in page
        assert (
            f'action="/desk/measures/{code}/confirm"' in page and f"/desk/measures/{code}/accept" not in page
        )
        early = confirmer.post(f"/desk/measures/{code}/accept", data={"csrf": csrf, "note": "台账齐全"})
        assert early.status_code == 422 and "分步销号" in early.text
        answer = confirmer.post(f"/desk/measures/{code}/confirm", data={"csrf": csrf, "note": "同意销号"})
        assert answer.status_code == 200 and "已确认，待下一步审核" in answer.text
        assert f'id="stage-{code}">已分管领导确认，待销号<' in answer.text
        assert "分管领导确认：分管领导秘书，同意销号" in answer.text
        assert f'action="/desk/measures/{code}/accept"' not in answer.text  # not to the one who confirmed
        assert "须由另一位督查人员办理" in answer.text
        same = confirmer.post(f"/desk/measures/{code}/accept", data={"csrf": csrf, "note": "台账齐全"})
        assert same.status_code == 403 and "另一位督查人员" in same.text
        assert status_of(database, code) == MeasureStatus.DONE
        other = sign_in(closer, ledger, "coordinator")
        assert f'action="/desk/measures/{code}/accept"' in closer.get("/desk/review").text
        closed = closer.post(
            f"/desk/measures/{code}/accept", data={"csrf": other, "note": "现场核查，台账齐全"}
        )
        assert closed.status_code == 200 and "已销号" in closed.text
    assert status_of(database, code) == MeasureStatus.CLOSED
    reviews = [(a, r) for k, a, r in events_of(database, code) if k == "review"]
    assert [r for _a, r in reviews] == ["分管领导确认：同意销号", "现场核查，台账齐全"]
    assert "分管领导秘书" in reviews[0][0] and "分管领导秘书" not in reviews[1][0]


def test_status_of_a_measure_shows_its_claims_review_step(cli: Any, database: Database) -> None:
    with database.unit_of_work() as session:
        two_step_measure(session, "R-7")
        session.commit()
    awaiting = cli("status", "--measure", "R-7")
    assert awaiting.exit_code == 0 and "审核：待分管领导确认" in awaiting.output
    assert cli("review", "confirm", "R-7", "--note", "同意销号", "--actor", "李某某").exit_code == 0
    confirmed = cli("status", "--measure", "R-7").output
    assert "审核：已分管领导确认，待销号" in confirmed and "分管领导确认：李某某，同意销号" in confirmed
    assert cli("review", "accept", "R-7", "--note", "台账齐全", "--actor", "督查室").exit_code == 0
    assert "审核：" not in cli("status", "--measure", "R-7").output  # closed: no claim awaits a step
