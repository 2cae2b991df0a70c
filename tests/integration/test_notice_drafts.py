"""Notice drafts in the ledger on both backends: two leaders deciding at once (the first wins), an edit
withdrawing an approval, a published draft never changing."""

from __future__ import annotations

import threading

import pytest

from models.db import Database
from models.enums import DraftDecision, DraftStatus
from models.errors import DraftLocked
from models.settings import Settings
from models.tables import NoticeDecision
from tasks.notice.drafts import apply_edits, create_draft, decide, get_draft
from tests.conftest import SEED_ROUND


def _draft(database: Database, settings: Settings) -> int:
    clock = settings.clock()
    with database.unit_of_work() as session:
        made = create_draft(session, SEED_ROUND, clock.on(clock.today.replace(2023, 12, 31)), actor="t")
        session.commit()
        return made.id


def test_two_decisions_at_once_the_first_wins(seeded_database: Database, settings: Settings) -> None:
    draft_id = _draft(seeded_database, settings)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def decide_as(decision: DraftDecision) -> None:
        with seeded_database.unit_of_work() as session:
            draft = get_draft(session, draft_id)
            barrier.wait()
            try:
                decide(
                    session,
                    draft,
                    decision,
                    actor="bureau-head",
                    now=settings.clock().now,
                    note="x",
                    allow_missing=True,
                )
                session.commit()
                outcomes.append(decision.value)
            except DraftLocked:
                outcomes.append("refused")

    threads = [
        threading.Thread(target=decide_as, args=(d,)) for d in (DraftDecision.APPROVE, DraftDecision.RETURN)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outcomes) == 2 and outcomes.count("refused") == 1
    with seeded_database.unit_of_work() as session:
        (decision,) = session.query(NoticeDecision).all()
        assert decision.decision.value in outcomes
        assert (
            get_draft(session, draft_id).status.value
            == {"approve": "approved", "return": "returned"}[decision.decision.value]
        )


def test_an_edit_withdraws_the_approval_and_a_published_draft_refuses_edits(
    seeded_database: Database, settings: Settings
) -> None:
    draft_id = _draft(seeded_database, settings)
    now = settings.clock().now
    with seeded_database.unit_of_work() as session:
        draft = get_draft(session, draft_id)
        decide(session, draft, DraftDecision.APPROVE, actor="bureau-head", now=now, allow_missing=True)
        assert draft.status == DraftStatus.APPROVED
        apply_edits(session, draft, {"closing": "结尾。"}, actor="duban-office", now=now)
        assert draft.status == DraftStatus.DRAFTING
        draft.status = DraftStatus.PUBLISHED
        with pytest.raises(DraftLocked):
            apply_edits(session, draft, {"closing": "再改。"}, actor="duban-office", now=now)


def test_a_publication_row_never_changes(seeded_database: Database, settings: Settings) -> None:
    from flows.cli.notice_drafts import publish_draft
    from models.tables import NoticePublication

    draft_id = _draft(seeded_database, settings)
    with seeded_database.unit_of_work() as session:
        decide(
            session,
            get_draft(session, draft_id),
            DraftDecision.APPROVE,
            actor="bureau-head",
            now=settings.clock().now,
            allow_missing=True,
        )
        session.commit()
    publish_draft(seeded_database, settings, draft_id, number=None, replaces=None, actor="t", formats=["md"])
    with seeded_database.unit_of_work() as session:
        publication = session.query(NoticePublication).one()
        publication.number = "〔2026〕99号"
        with pytest.raises(DraftLocked, match="never changes"):
            session.flush()
