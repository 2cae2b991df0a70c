"""The notice from the ledger: the seed rebuilt exactly, as-of filtering, superseded reports, versions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models.db import Database
from models.errors import MissingReports, UnknownRound
from models.notice import BlockKind
from models.settings import Settings
from models.tables import GeneratedNotice, MeasureStatus, ReportStatus, StatusEvent
from tasks.notice import generate_notices, load_notice_document, render_notice, write_notice
from tests.conftest import EXAMPLE_DIR, SEED_ROUND
from tests.factories import make_measure, make_problem, make_report, make_round, make_unit

SHANGHAI = timezone(timedelta(hours=8))
TZ = "Asia/Shanghai"


def _paragraphs(text: str) -> list[str]:
    """Whitespace-normalised paragraphs: the seed's trailing spaces and blank lines aside."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_seed_notice_is_rebuilt_paragraph_by_paragraph(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, date(2023, 12, 31), timezone=TZ)
    text = render_notice(document, "txt")
    assert isinstance(text, str)
    expected = _paragraphs((EXAMPLE_DIR / "notice.txt").read_text(encoding="utf-8"))
    assert _paragraphs(text) == expected
    assert document.missing == ()
    stats = document.statistics
    assert (stats.problems, stats.measures) == (9, 28)
    assert stats.done + stats.in_progress + stats.overdue == 28


def test_before_any_report_every_measure_is_marked_missing(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, date(2023, 12, 14), timezone=TZ)
    assert len(document.missing) == 28
    outcomes = [b.text for b in document.blocks() if b.kind == BlockKind.OUTCOME]
    assert outcomes[1] == "整改成效：一是【待报送：局党组】二是【待报送：局办公室】"
    assert all("【待报送：" in text for text in outcomes)
    # Statistics as of then: nothing reported done yet (the plan's statuses were set after that date).
    assert document.statistics.done == 0


def test_as_of_counts_reports_up_to_the_end_of_the_local_day(database: Database) -> None:
    with database.unit_of_work() as session:
        measure = make_measure(
            session, marker="一是", lead_unit=make_unit(session, "jiedao", name="各街道办事处")
        )
        code = measure.problem.round.code
        # 23:30 in Shanghai on 15 December is 15:30 UTC the same day; 00:30 on the 16th is 16:30 UTC on the 15th.
        make_report(
            session,
            measure,
            text="十五日报告。",
            submitted_at=datetime(2023, 12, 15, 23, 30, tzinfo=SHANGHAI),
        )
        make_report(
            session, measure, text="十六日报告。", submitted_at=datetime(2023, 12, 16, 0, 30, tzinfo=SHANGHAI)
        )
        session.commit()
    with database.unit_of_work() as session:
        texts = {
            day: [b.text for b in load_notice_document(session, code, day, timezone=TZ).blocks()][4]
            for day in (date(2023, 12, 14), date(2023, 12, 15), date(2023, 12, 16))
        }
    assert texts[date(2023, 12, 14)] == "整改成效：一是【待报送：各街道办事处】"
    assert texts[date(2023, 12, 15)] == "整改成效：一是十五日报告。"
    assert texts[date(2023, 12, 16)] == "整改成效：一是十六日报告。"


def test_a_correction_supersedes_only_from_when_it_was_submitted(database: Database) -> None:
    with database.unit_of_work() as session:
        measure = make_measure(session)
        other = make_measure(session, problem=measure.problem, marker="二是")
        code = measure.problem.round.code
        original = make_report(
            session, measure, text="原报告。", submitted_at=datetime(2023, 12, 1, 2, tzinfo=UTC)
        )
        make_report(
            session,
            measure,
            text="更正后的报告。",
            supersedes=original,
            submitted_at=datetime(2023, 12, 10, 2, tzinfo=UTC),
        )
        # A superseded correction of the other measure: its latest standing report is the first one.
        make_report(session, other, text="第一次。", submitted_at=datetime(2023, 12, 2, 2, tzinfo=UTC))
        later = make_report(
            session, other, text="第二次。", submitted_at=datetime(2023, 12, 3, 2, tzinfo=UTC)
        )
        make_report(
            session,
            other,
            text="第二次的更正。",
            supersedes=later,
            submitted_at=datetime(2023, 12, 4, 2, tzinfo=UTC),
        )
        session.commit()
    with database.unit_of_work() as session:
        early = load_notice_document(session, code, date(2023, 12, 5), timezone=TZ)
        late = load_notice_document(session, code, date(2023, 12, 31), timezone=TZ)
    assert early.plain_paragraphs()[4] == "整改成效：原报告。二是第二次的更正。"
    assert late.plain_paragraphs()[4] == "整改成效：更正后的报告。二是第二次的更正。"


def test_removed_problems_and_measures_are_left_out(database: Database) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(session)
        kept = make_problem(session, round_, title="保留的问题")
        make_measure(session, problem=kept, marker="一是", text="保留")
        make_measure(session, problem=kept, marker="二是", removed_at=datetime(2023, 11, 1, tzinfo=UTC))
        make_measure(
            session, problem=make_problem(session, round_, removed_at=datetime(2023, 11, 1, tzinfo=UTC))
        )
        session.commit()
        code = round_.code
    with database.unit_of_work() as session:
        document = load_notice_document(session, code, date(2023, 12, 31), timezone=TZ)
    assert [p.title for p in document.problems] == ["保留的问题"]
    assert [item.marker for item in document.problems[0].items] == ["一是"]
    assert len(document.missing) == 1


def test_statistics_use_the_status_as_of_the_date(database: Database) -> None:
    with database.unit_of_work() as session:
        round_ = make_round(session, notice_options={"statistics": "after_preamble"})
        problem = make_problem(session, round_)
        done = make_measure(session, problem=problem, deadline=date(2023, 11, 30))
        closed = make_measure(
            session, problem=problem, deadline=date(2023, 11, 30), status=MeasureStatus.CLOSED
        )
        late = make_measure(session, problem=problem, deadline=date(2023, 12, 20))
        make_measure(session, problem=problem, deadline=None)
        make_report(
            session,
            done,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 11, 20, 2, tzinfo=UTC),
        )
        make_report(session, late, submitted_at=datetime(2023, 12, 1, 2, tzinfo=UTC))
        session.add(
            StatusEvent(
                measure=closed,
                at=datetime(2023, 12, 5, 2, tzinfo=UTC),
                actor="coordinator",
                kind="status",
                from_value="done",
                to_value="closed",
            )
        )
        session.commit()
        code = round_.code
    with database.unit_of_work() as session:
        before = load_notice_document(session, code, date(2023, 12, 1), timezone=TZ)
        after = load_notice_document(session, code, date(2023, 12, 31), timezone=TZ)
    assert before.plain_paragraphs()[3] == (
        "截至2023年12月1日，巡察反馈问题1个，整改措施4项，已完成1项、推进中2项、逾期1项，完成率25%。"
    )
    assert after.plain_paragraphs()[3] == (
        "截至2023年12月31日，巡察反馈问题1个，整改措施4项，已完成2项、推进中1项、逾期1项，完成率50%。"
    )


def test_unknown_round(database: Database) -> None:
    with database.unit_of_work() as session, pytest.raises(UnknownRound):
        load_notice_document(session, "no-such-round", date(2023, 12, 31), timezone=TZ)


def test_each_generation_is_a_new_version_with_its_hash(seeded_database: Database, tmp_path: Path) -> None:
    targets = [("txt", tmp_path / "a.txt"), ("docx", tmp_path / "a.docx"), ("md", None)]
    results = generate_notices(
        seeded_database,
        SEED_ROUND,
        targets,  # type: ignore[arg-type]
        as_of=date(2023, 12, 31),
        timezone=TZ,
        requested_by="tester",
    )
    assert [r.version for r, _ in results] == [1, 2, 3]
    import hashlib

    assert results[0][0].sha256 == hashlib.sha256((tmp_path / "a.txt").read_bytes()).hexdigest()
    assert results[1][0].sha256 == hashlib.sha256((tmp_path / "a.docx").read_bytes()).hexdigest()
    assert (tmp_path / "a.docx").read_bytes()[:2] == b"PK"
    with seeded_database.unit_of_work() as session:
        records = list(session.scalars(select(GeneratedNotice).order_by(GeneratedNotice.version)))
        rows = [(r.version, r.format, r.requested_by, r.as_of, r.missing_reports, r.path) for r in records]
    assert [row[:5] for row in rows] == [
        (1, "txt", "tester", date(2023, 12, 31), 0),
        (2, "docx", "tester", date(2023, 12, 31), 0),
        (3, "md", "tester", date(2023, 12, 31), 0),
    ]
    assert rows[0][5] == str(tmp_path / "a.txt") and rows[2][5] is None


def test_strict_writes_and_records_nothing_when_reports_are_missing(
    seeded_database: Database, tmp_path: Path
) -> None:
    with pytest.raises(MissingReports) as raised:
        generate_notices(
            seeded_database,
            SEED_ROUND,
            [("txt", tmp_path / "n.txt")],
            as_of=date(2023, 12, 1),
            timezone=TZ,
            requested_by="tester",
            strict=True,
        )
    assert len(raised.value.missing) == 28
    assert not (tmp_path / "n.txt").exists()
    with seeded_database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(GeneratedNotice)) == 0


def test_write_notice_puts_md_and_docx_in_the_data_directory(
    seeded_database: Database, settings: Settings
) -> None:
    outputs = write_notice(settings, SEED_ROUND, as_of=date(2023, 12, 31), requested_by="zhenggai demo")
    assert [o.format for o in outputs] == ["md", "docx"]
    assert [o.path for o in outputs] == [
        settings.notices_dir / f"{SEED_ROUND}_2023-12-31.md",
        settings.notices_dir / f"{SEED_ROUND}_2023-12-31.docx",
    ]
    markdown = outputs[0].path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "**一、学习未能真正“入脑入心”。**" in markdown
    assert [o.version for o in outputs] == [1, 2]
    assert outputs[1].path.read_bytes()[:2] == b"PK"  # type: ignore[union-attr]


def test_seed_docx_holds_the_same_paragraphs(seeded_database: Database) -> None:
    import io

    import docx

    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, date(2023, 12, 31), timezone=TZ)
    content = render_notice(document, "docx")
    assert isinstance(content, bytes)
    read_back = docx.Document(io.BytesIO(content))
    expected = _paragraphs((EXAMPLE_DIR / "notice.txt").read_text(encoding="utf-8"))
    assert [p.text for p in read_back.paragraphs if p.text] == expected


def test_latest_report_rows_follow_the_ledger_rule_of_latest_reports(database: Database) -> None:
    """The notice's one-statement query picks the same report as ``tasks.queries.latest_reports``."""
    from tasks.notice import latest_report_rows
    from tasks.queries import end_of_day, round_latest_reports

    with database.unit_of_work() as session:
        round_ = make_round(session)
        problem = make_problem(session, round_)
        measures = [make_measure(session, problem=problem) for _ in range(4)]
        at = [datetime(2023, 12, day, 2, tzinfo=UTC) for day in range(1, 11)]
        make_report(session, measures[0], text="a1", submitted_at=at[0])
        a2 = make_report(session, measures[0], text="a2", submitted_at=at[2])
        make_report(session, measures[0], text="a2 更正", supersedes=a2, submitted_at=at[6])
        b1 = make_report(session, measures[1], text="b1", submitted_at=at[1])
        make_report(session, measures[1], text="b1 更正", supersedes=b1, submitted_at=at[3])
        make_report(session, measures[2], text="c1", submitted_at=at[4])
        make_report(
            session, measures[2], text="c2 同时", submitted_at=at[4]
        )  # same instant: the later id wins
        session.commit()
        for day in (
            date(2023, 12, 1),
            date(2023, 12, 3),
            date(2023, 12, 5),
            date(2023, 12, 8),
            date(2023, 12, 31),
        ):
            cutoff = end_of_day(day, TZ)
            expected = {
                m: (r.text, r.submitted_at)
                for m, r in round_latest_reports(session, round_.id, cutoff).items()
            }
            got = {
                m: (r.text, r.submitted_at) for m, r in latest_report_rows(session, round_.id, cutoff).items()
            }
            assert got == expected, day
            assert all(when.tzinfo is not None for _, when in got.values())
