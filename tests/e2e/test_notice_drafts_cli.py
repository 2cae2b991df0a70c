"""The editorial path through the CLI on both backends: draft → edit → return → edit → approve → publish →
the next draft carries the edits; locks, numbers, report holds."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models.db import Database
from models.enums import DraftDecision, DraftStatus
from models.errors import DraftLocked, DuplicateNoticeNumber
from models.settings import Settings
from models.tables import NoticeDecision, NoticeDraft, NoticeEdit, NoticePublication, Report
from tests.conftest import EXAMPLE_DIR, SEED_ROUND
from tests.support.work import committed


@pytest.fixture(autouse=True)
def _notice_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGGAI_NOTICE_CODE", "新城执党")


NEW_OUTCOME = "一是组织专题学习12次，覆盖全体党员。二是建立学习台账。"


def _draft_id(output: str) -> int:
    match = re.search(r"草稿 (\d+)", output)
    assert match, output
    return int(match.group(1))


def _paragraphs(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_the_whole_path_from_draft_to_publication_and_the_next_draft(
    cli: Callable[..., Any], seeded_database: Database, settings: Settings, tmp_path: Path
) -> None:
    made = cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31")
    assert made.exit_code == 0, made.output
    draft = _draft_id(made.stdout)
    assert made.stdout.strip() == f"草稿 {draft}"

    # The draft as assembled renders exactly as today's preview.
    shown = cli("notice", "show", draft, "--format", "txt")
    seed = (EXAMPLE_DIR / "notice.txt").read_text(encoding="utf-8")
    assert _paragraphs(shown.stdout) == _paragraphs(seed)

    text = tmp_path / "成效.txt"
    text.write_text(NEW_OUTCOME + "\n", encoding="utf-8")
    dry = cli("notice", "edit", draft, "--problem", 3, "--file", text, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "+一是组织专题学习12次，覆盖全体党员。" in dry.stdout and "nothing written" in dry.stdout
    with seeded_database.unit_of_work() as session:
        assert session.scalars(select(NoticeEdit)).all() == []

    edited = cli("notice", "edit", draft, "--problem", 3, "--file", text)
    assert edited.exit_code == 0, edited.output
    assert "问题三 整改成效（修改后）" in edited.stdout

    returned = cli("notice", "return", draft, "--note", "请补充数据")
    assert returned.exit_code == 0, returned.output
    assert "returned by bureau-head" in returned.stdout
    again = cli("notice", "approve", draft)
    assert again.exit_code == 1 and "was returned" in again.stderr

    closing = tmp_path / "结尾.txt"
    closing.write_text("欢迎监督。", encoding="utf-8")
    assert cli("notice", "edit", draft, "--part", "closing", "--file", closing).exit_code == 0

    unapproved = cli("notice", "publish", draft, "--formats", "md")
    assert unapproved.exit_code == 1 and "is not approved" in unapproved.stderr

    approved = cli("notice", "approve", draft, "--by", "bureau-head", "--note", "同意")
    assert approved.exit_code == 0, approved.output

    published = cli("notice", "publish", draft, "--formats", "md,docx")
    assert published.exit_code == 0, published.output
    assert "published as 新城执党〔2026〕1号" in published.stdout
    md = settings.notices_dir / f"{SEED_ROUND}_2026-001.md"
    body = md.read_text(encoding="utf-8")
    assert "整改成效**：" in body or "整改成效：" in body
    assert NEW_OUTCOME in body and "新城执党〔2026〕1号" in body and "欢迎监督。" in body
    assert (settings.notices_dir / f"{SEED_ROUND}_2026-001.docx").read_bytes()[:2] == b"PK"

    # Published: immutable.
    assert cli("notice", "edit", draft, "--problem", 3, "--file", text).exit_code == 1
    locked = cli("notice", "approve", draft)
    assert locked.exit_code == 1 and "published" in locked.stderr
    assert cli("notice", "publish", draft, "--formats", "md").exit_code == 1

    with seeded_database.unit_of_work() as session:
        publication = session.scalars(select(NoticePublication)).one()
        assert (publication.number, publication.approved_by) == ("新城执党〔2026〕1号", "bureau-head")
        decisions = [
            (d.decision, d.actor) for d in session.scalars(select(NoticeDecision).order_by(NoticeDecision.id))
        ]
        assert decisions == [(DraftDecision.RETURN, "bureau-head"), (DraftDecision.APPROVE, "bureau-head")]
        edits = session.scalars(select(NoticeEdit).order_by(NoticeEdit.id)).all()
        assert [(e.key, e.actor, e.after) for e in edits] == [
            ("problem-3-outcome", "duban-office", NEW_OUTCOME),
            ("closing", "duban-office", "欢迎监督。"),
        ]
        assert edits[0].before.startswith("一是深入学习")

    # A new report on problem 3 arrives; the next draft carries the closing edit, flags problem 3.
    report = tmp_path / "r.yaml"
    report.write_text(
        f"round: {SEED_ROUND}\nreports:\n  - measure: XH-03-1\n    submitted_at: 2023-12-31T10:00:00+08:00\n"
        "    period: 2023-12-16..2023-12-31\n    author: 局党组\n    status: in_progress\n    text: 又开展了专题学习。\n",
        encoding="utf-8",
    )
    from tasks.reports.record import load_reports_file

    committed(seeded_database, load_reports_file, report, settings.clock())
    first_now = cli("notice", "show", draft).stdout
    assert "problem-3-outcome (问题三 整改成效)  [edited, reports changed since]" in first_now
    assert "closing (结尾)  [edited]" in first_now
    following = cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31")
    assert following.exit_code == 0, following.output
    second = _draft_id(following.stdout)
    assert second == draft + 1
    assert "1 edit(s) carried" in following.stderr and "closing" in following.stderr
    assert "problem-3-outcome" in following.stderr
    with seeded_database.unit_of_work() as session:
        paragraphs = {p.key: p for p in session.get(NoticeDraft, second).paragraphs}  # type: ignore[union-attr]
        assert paragraphs["closing"].text == "欢迎监督。" and paragraphs["closing"].edited
        assert "又开展了专题学习。" in paragraphs["problem-3-outcome"].text
        assert paragraphs["problem-3-outcome"].stale_edit == NEW_OUTCOME
    listing = cli("notice", "drafts", "--round", SEED_ROUND)
    assert f"草稿 {draft}" in listing.stdout and "新城执党〔2026〕1号" in listing.stdout
    assert "earlier edit not carried" in cli("notice", "show", second).stdout


def test_missing_markers_need_allow_missing_and_an_unknown_part_is_refused(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    draft = _draft_id(cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-01").stdout)

    refused = cli("notice", "approve", draft)
    assert refused.exit_code == 1 and "【待报送】" in refused.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    assert cli("notice", "edit", draft, "--problem", 3, "--file", empty).exit_code == 1
    assert cli("notice", "edit", draft, "--problem", 99, "--file", empty).exit_code == 1
    assert cli("notice", "approve", draft, "--allow-missing").exit_code == 0
    assert cli("notice", "approve", 999).exit_code == 1


def test_a_held_report_is_left_out_of_the_next_draft(
    cli: Callable[..., Any], seeded_database: Database
) -> None:
    with seeded_database.unit_of_work() as session:
        report = session.scalars(select(Report).order_by(Report.id)).first()
        assert report is not None
        report_id, text = report.id, report.text
    assert cli("notice", "hold", report_id, "--reason", "涉及个人信息", "--dry-run").exit_code == 0
    assert cli("notice", "hold", report_id, "--reason", "涉及个人信息").exit_code == 0
    assert cli("notice", "hold", report_id, "--reason", "again").exit_code == 1

    draft = _draft_id(cli("notice", "draft", "--round", SEED_ROUND, "--as-of", "2023-12-31").stdout)
    rendered = cli("notice", "show", draft, "-f", "md").stdout
    assert text[:20] not in rendered


def _approved_draft(database: Database, settings: Settings) -> int:
    from tasks.notice.drafts import create_draft, decide

    clock = settings.clock()
    with database.unit_of_work() as session:
        made = create_draft(session, SEED_ROUND, clock.on(clock.today.replace(2023, 12, 31)), actor="t")
        decide(session, made, DraftDecision.APPROVE, actor="bureau-head", now=clock.now, allow_missing=True)
        session.commit()
        return made.id


def test_numbers_are_unique_under_concurrent_publication(
    seeded_database: Database, settings: Settings
) -> None:
    from flows.cli.notice_drafts import publish_draft

    drafts = [_approved_draft(seeded_database, settings) for _ in range(3)]
    numbers: list[str] = []
    errors: list[BaseException] = []

    def publish(draft_id: int) -> None:
        try:
            done = publish_draft(
                seeded_database, settings, draft_id, number=None, replaces=None, actor="t", formats=["md"]
            )
            numbers.append(done.number)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=publish, args=(d,)) for d in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    year = settings.clock().today.year
    assert sorted(numbers) == [f"新城执党〔{year}〕{n}号" for n in (1, 2, 3)]


def test_an_explicit_number_a_taken_one_and_a_correction(
    seeded_database: Database, settings: Settings
) -> None:
    from flows.cli.notice_drafts import publish_draft

    first, second, third = (_approved_draft(seeded_database, settings) for _ in range(3))
    done = publish_draft(
        seeded_database, settings, first, number="〔2026〕7号", replaces=None, actor="t", formats=["md"]
    )
    assert done.number == "新城执党〔2026〕7号"
    with pytest.raises(DuplicateNoticeNumber):
        publish_draft(
            seeded_database, settings, second, number="〔2026〕7号", replaces=None, actor="t", formats=["md"]
        )
    dry = publish_draft(
        seeded_database,
        settings,
        second,
        number=None,
        replaces="〔2026〕7号",
        actor="t",
        formats=["md"],
        dry_run=True,
    )
    assert not dry.files[0][1].exists()
    fixed = publish_draft(
        seeded_database,
        settings,
        second,
        number="〔2026〕8号",
        replaces="〔2026〕7号",
        actor="t",
        formats=["md"],
    )
    assert fixed.number == "新城执党〔2026〕8号"
    with seeded_database.unit_of_work() as session:
        rows = {p.number: p for p in session.scalars(select(NoticePublication))}
        assert rows["新城执党〔2026〕8号"].replaces_id == rows["新城执党〔2026〕7号"].id
        assert session.get(NoticeDraft, first).status == DraftStatus.PUBLISHED  # type: ignore[union-attr]
    with pytest.raises(DraftLocked):
        publish_draft(seeded_database, settings, first, number=None, replaces=None, actor="t", formats=["md"])
    assert third


@pytest.mark.sqlite_only
def test_publish_writes_every_format_pdf_when_libreoffice_is_present(
    cli: Callable[..., Any], seeded_database: Database, settings: Settings
) -> None:
    from tasks.notice.pdf import soffice_path

    draft = _approved_draft(seeded_database, settings)
    published = cli("notice", "publish", draft)

    assert published.exit_code == 0, published.output
    expected = ["txt", "md", "html", "docx"] + (["pdf"] if soffice_path() else [])
    year = settings.clock().today.year
    for fmt in expected:
        assert (settings.notices_dir / f"{SEED_ROUND}_{year}-001.{fmt}").stat().st_size > 0
    with seeded_database.unit_of_work() as session:
        publication = session.scalars(select(NoticePublication)).one()
        assert [f["format"] for f in publication.files] == expected
