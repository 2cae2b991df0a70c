"""The notice from the ledger: the seed rebuilt exactly, as-of filtering, superseded reports, versions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.cli.notice import generate_notices
from models.clock import Clock
from models.db import Database, get_database
from models.enums import MeasureStatus, ReportStatus
from models.errors import MissingReports, PdfUnavailable, UnknownRound
from models.notice import BlockKind
from models.settings import Settings
from models.tables import GeneratedNotice, Measure, StatusEvent
from models.workdays import WeekdayCalendar
from tasks.notice.files import NoticeDirectory, NoticeOutput
from tasks.notice.load import load_notice_document
from tasks.notice.render import render_notice
from tests.conftest import EXAMPLE_DIR, SEED_ROUND
from tests.factories import make_measure, make_problem, make_report, make_round, make_unit

SHANGHAI = timezone(timedelta(hours=8))
TZ = "Asia/Shanghai"


def on(day: date) -> Clock:
    """The clock of a notice as of ``day`` (the notice reads no working days)."""
    return Clock(WeekdayCalendar(), TZ, datetime.combine(day, time(12), tzinfo=SHANGHAI))


def write_notice(
    settings: Settings, formats: Sequence[str] = ("md", "docx"), **options: Any
) -> list[NoticeOutput]:
    """Generate the seed's notice as of 2023-12-31 into the data directory, as ``zhenggai demo`` does."""
    target = NoticeDirectory(settings.notices_dir)
    results = generate_notices(
        get_database(settings),
        on(date(2023, 12, 31)),
        SEED_ROUND,
        [(fmt, target) for fmt in formats],  # type: ignore[misc]
        requested_by=options.get("requested_by", "tester"),
    )
    return [output for output, _ in results]


def _paragraphs(text: str) -> list[str]:
    """Whitespace-normalised paragraphs: the seed's trailing spaces and blank lines aside."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def test_seed_notice_is_rebuilt_paragraph_by_paragraph(seeded_database: Database) -> None:
    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 31)))
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
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 14)))
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
            day: [b.text for b in load_notice_document(session, code, on(day)).blocks()][4]
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
        early = load_notice_document(session, code, on(date(2023, 12, 5)))
        late = load_notice_document(session, code, on(date(2023, 12, 31)))
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
        document = load_notice_document(session, code, on(date(2023, 12, 31)))
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
        before = load_notice_document(session, code, on(date(2023, 12, 1)))
        after = load_notice_document(session, code, on(date(2023, 12, 31)))
    assert before.plain_paragraphs()[3] == (
        "截至2023年12月1日，巡察反馈问题1个，整改措施4项，已完成1项、推进中2项、逾期1项，完成率25%。"
    )
    assert after.plain_paragraphs()[3] == (
        "截至2023年12月31日，巡察反馈问题1个，整改措施4项，已完成2项、推进中1项、逾期1项，完成率50%。"
    )


def test_unknown_round(database: Database) -> None:
    with database.unit_of_work() as session, pytest.raises(UnknownRound):
        load_notice_document(session, "no-such-round", on(date(2023, 12, 31)))


def test_a_generation_is_one_version_in_every_format_with_its_hash(
    seeded_database: Database, tmp_path: Path
) -> None:
    targets = [("txt", tmp_path / "a.txt"), ("docx", tmp_path / "a.docx"), ("md", None)]
    results = generate_notices(
        seeded_database,
        on(date(2023, 12, 31)),
        SEED_ROUND,
        targets,  # type: ignore[arg-type]
        requested_by="tester",
    )
    assert [r.version for r, _ in results] == [1, 1, 1]
    import hashlib

    assert results[0][0].sha256 == hashlib.sha256((tmp_path / "a.txt").read_bytes()).hexdigest()
    assert results[1][0].sha256 == hashlib.sha256((tmp_path / "a.docx").read_bytes()).hexdigest()
    assert (tmp_path / "a.docx").read_bytes()[:2] == b"PK"
    with seeded_database.unit_of_work() as session:
        records = list(session.scalars(select(GeneratedNotice).order_by(GeneratedNotice.id)))
        rows = [(r.version, r.format, r.requested_by, r.as_of, r.missing_reports, r.path) for r in records]
    assert [row[:5] for row in rows] == [
        (1, "txt", "tester", date(2023, 12, 31), 0),
        (1, "docx", "tester", date(2023, 12, 31), 0),
        (1, "md", "tester", date(2023, 12, 31), 0),
    ]
    assert rows[0][5] == str(tmp_path / "a.txt") and rows[2][5] is None


def test_strict_writes_and_records_nothing_when_reports_are_missing(
    seeded_database: Database, tmp_path: Path
) -> None:
    with pytest.raises(MissingReports) as raised:
        generate_notices(
            seeded_database,
            on(date(2023, 12, 1)),
            SEED_ROUND,
            [("txt", tmp_path / "n.txt")],
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
    outputs = write_notice(settings, requested_by="zhenggai demo")
    assert [o.format for o in outputs] == ["md", "docx"]
    assert [o.path for o in outputs] == [
        settings.notices_dir / f"{SEED_ROUND}_2023-12-31_v1.md",
        settings.notices_dir / f"{SEED_ROUND}_2023-12-31_v1.docx",
    ]
    markdown = outputs[0].path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "**一、学习未能真正“入脑入心”**。" in markdown
    assert [o.version for o in outputs] == [1, 1]
    assert outputs[1].path.read_bytes()[:2] == b"PK"  # type: ignore[union-attr]


def test_seed_docx_holds_the_same_paragraphs(seeded_database: Database) -> None:
    import io

    import docx

    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 31)))
    content = render_notice(document, "docx")
    assert isinstance(content, bytes)
    read_back = docx.Document(io.BytesIO(content))
    expected = _paragraphs((EXAMPLE_DIR / "notice.txt").read_text(encoding="utf-8"))
    assert [p.text for p in read_back.paragraphs if p.text] == expected


def test_latest_reports_pick_each_measures_standing_report_as_of_each_day(database: Database) -> None:
    """The one query of the latest standing report: corrections replace from their submission, the later
    id wins at the same instant, removed measures drop out of a round's reading."""
    from tasks.ledger.queries import latest_reports

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
        make_report(session, measures[2], text="c2 同时", submitted_at=at[4])  # same instant: the later id
        session.commit()
        ids = [m.id for m in measures]
        expected = {
            date(2023, 12, 1): {ids[0]: "a1"},
            date(2023, 12, 3): {ids[0]: "a2", ids[1]: "b1"},
            date(2023, 12, 5): {ids[0]: "a2", ids[1]: "b1 更正", ids[2]: "c2 同时"},
            date(2023, 12, 8): {ids[0]: "a2 更正", ids[1]: "b1 更正", ids[2]: "c2 同时"},
        }
        for day, texts in expected.items():
            cutoff = on(day).end_of_day(day)
            by_round = latest_reports(session, round_id=round_.id, as_of=cutoff)
            assert {m: r.text for m, r in by_round.items()} == texts, day
            assert latest_reports(session, measure_ids=ids, as_of=cutoff) == by_round
            assert all(r.submitted_at.tzinfo is not None for r in by_round.values())
        assert {r.text for r in latest_reports(session, measure_ids=ids).values()} == {
            "a2 更正",
            "b1 更正",
            "c2 同时",
        }
        measures[2].removed_at = at[9]
        session.commit()
        assert ids[2] not in latest_reports(session, round_id=round_.id)
        assert ids[2] in latest_reports(session, measure_ids=ids)


def test_a_report_after_closing_leaves_the_measure_closed_in_the_statistics(
    seeded_database: Database,
) -> None:
    from tasks.reports.record import ReportInput, record_report
    from tasks.reports.review import ReviewAction, review_measure

    as_of = date(2024, 1, 31)  # the 2023-12-31 deadlines have passed
    with seeded_database.unit_of_work() as session:
        before = load_notice_document(session, SEED_ROUND, on(as_of)).statistics
        review_measure(
            session,
            "XH-01-2",
            ReviewAction.ACCEPT,
            reason="整改到位",
            actor="coordinator",
            now=datetime(2023, 12, 30, 10, tzinfo=SHANGHAI),
        )
        follow_up = datetime(2023, 12, 30, 12, tzinfo=SHANGHAI)
        record_report(
            session,
            ReportInput(measure="XH-01-2", text="持续巩固整改成果。"),
            actor="unit",
            clock=Clock(WeekdayCalendar(), TZ, follow_up),
        )
        session.commit()
    with seeded_database.unit_of_work() as session:
        status = session.scalar(select(Measure.status).where(Measure.code == "XH-01-2"))
        after = load_notice_document(session, SEED_ROUND, on(as_of)).statistics
    assert status == MeasureStatus.CLOSED
    assert (after.done, after.overdue) == (before.done, before.overdue) == (5, 7)


def test_reports_after_the_last_status_change_move_it_as_record_report_does(database: Database) -> None:
    """Reports backfilled with an earlier ``submitted_at`` count from then; a rejected done claim stays
    rejected until a later report claims done again; a correction retracting done claims is honoured."""
    with database.unit_of_work() as session:
        round_ = make_round(session, notice_options={"statistics": "after_preamble"})
        problem = make_problem(session, round_)
        returned = make_measure(session, problem=problem, deadline=date(2024, 6, 30))
        backfilled = make_measure(session, problem=problem, deadline=date(2024, 6, 30))
        corrected = make_measure(session, problem=problem, deadline=date(2024, 6, 30))
        make_report(
            session,
            returned,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 12, 1, 2, tzinfo=UTC),
        )
        for to_value, day in (("done", 1), ("in_progress", 5)):  # recorded done, then returned by review
            session.add(
                StatusEvent(
                    measure=returned,
                    at=datetime(2023, 12, day, 2, tzinfo=UTC),
                    actor="t",
                    kind="status",
                    to_value=to_value,
                )
            )
        make_report(session, returned, submitted_at=datetime(2023, 12, 6, 2, tzinfo=UTC))
        # submitted in December, recorded (with its status change) only years later
        make_report(
            session,
            backfilled,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 12, 10, 2, tzinfo=UTC),
        )
        session.add(
            StatusEvent(
                measure=backfilled,
                at=datetime(2026, 1, 5, tzinfo=UTC),
                actor="t",
                kind="status",
                to_value="done",
            )
        )
        claim = make_report(
            session,
            corrected,
            claimed_status=ReportStatus.DONE,
            submitted_at=datetime(2023, 12, 11, 2, tzinfo=UTC),
        )
        make_report(session, corrected, supersedes=claim, submitted_at=datetime(2023, 12, 12, 2, tzinfo=UTC))
        session.commit()
        code = round_.code
    with database.unit_of_work() as session:
        stats = load_notice_document(session, code, on(date(2023, 12, 31))).statistics
    # returned: in progress (the later report does not undo the review); backfilled: done;
    # corrected: the correction retracts the done claim
    assert (stats.done, stats.in_progress, stats.overdue) == (1, 2, 0)


def test_regenerating_the_same_day_keeps_every_recorded_file(
    seeded_database: Database, settings: Settings
) -> None:
    import hashlib

    first = write_notice(settings, formats=["md"])
    with seeded_database.unit_of_work() as session:
        record_report_text(session, "XH-01-1", "新的进展。")
    second = write_notice(settings, formats=["md"])
    assert [o.version for o in first + second] == [1, 2]
    assert first[0].path != second[0].path
    with seeded_database.unit_of_work() as session:
        records = list(session.scalars(select(GeneratedNotice).order_by(GeneratedNotice.version)))
        held = [(Path(r.path), r.sha256) for r in records if r.path]
    assert len(held) == 2
    for path, sha256 in held:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    assert "新的进展。" in second[0].path.read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "新的进展。" not in first[0].path.read_text(encoding="utf-8")  # type: ignore[union-attr]


def record_report_text(session: Session, measure: str, text: str) -> None:
    """Record an in-progress report on the last day of 2023 and commit."""
    from tasks.reports.record import ReportInput, record_report

    now = datetime(2023, 12, 31, 9, tzinfo=SHANGHAI)
    record_report(
        session,
        ReportInput(measure=measure, text=text),
        actor="unit",
        clock=Clock(WeekdayCalendar(), TZ, now),
    )
    session.commit()


def test_a_format_that_fails_to_render_leaves_nothing_written_or_recorded(
    seeded_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no soffice: the PDF cannot be rendered
    out = tmp_path / "notices"
    with pytest.raises(PdfUnavailable):
        generate_notices(
            seeded_database,
            on(date(2023, 12, 31)),
            SEED_ROUND,
            [("md", NoticeDirectory(out)), ("pdf", NoticeDirectory(out))],
            requested_by="tester",
        )
    assert not out.exists()
    with seeded_database.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(GeneratedNotice)) == 0


def test_concurrent_generations_take_distinct_versions_and_files(
    seeded_database: Database, tmp_path: Path
) -> None:
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    def generate(i: int) -> list[tuple[int, Path | None, str]]:
        results = generate_notices(
            seeded_database,
            on(date(2023, 12, 31)),
            SEED_ROUND,
            [("txt", NoticeDirectory(tmp_path)), ("md", NoticeDirectory(tmp_path))],
            requested_by=f"writer {i}",
        )
        return [(o.version, o.path, o.sha256) for o, _ in results]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = [row for rows in pool.map(generate, range(6)) for row in rows]
    # six generations, each one version in both formats
    assert sorted(version for version, _, _ in outputs) == sorted([*range(1, 7), *range(1, 7)])
    assert len({path for _, path, _ in outputs}) == 12
    for version, path, sha256 in outputs:
        assert path is not None and path.name.endswith(f"_v{version}.{path.suffix[1:]}")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _plan_with_notice_options(tmp_path: Path, options: str) -> Path:
    """The example plan with the plan-format documentation's 版头/版记 options under round.notice."""
    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  coordinator: duban-office\n", f"  notice:\n{options}  coordinator: duban-office\n", 1
    )
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


DOCUMENTED_OPTIONS = """\
    masthead: 中共新华区城市管理综合行政执法局党组文件
    document_number: 新城执党〔2024〕3号
    copy_to: 区委巡察办，区纪委监委
    printed_by: 中共新华区城市管理综合行政执法局办公室
    printed_on: "2024-01-05"
"""


def test_masthead_and_imprint_options_from_a_plan_reach_every_format(
    database: Database, tmp_path: Path
) -> None:
    from tasks.ledger.plan_load import load_plan_file
    from tests.support.work import committed, settings_clock

    committed(
        database, load_plan_file, _plan_with_notice_options(tmp_path, DOCUMENTED_OPTIONS), settings_clock()
    )
    with database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 31)))
    text = render_notice(document, "txt")
    assert isinstance(text, str)
    lines = text.splitlines()
    assert lines[:3] == ["中共新华区城市管理综合行政执法局党组文件", "新城执党〔2024〕3号", ""]
    assert lines[-2:] == [
        "抄送：区委巡察办，区纪委监委。",
        "中共新华区城市管理综合行政执法局办公室　　2024年1月5日印发",
    ]
    docx_bytes = render_notice(document, "docx")
    assert isinstance(docx_bytes, bytes) and "新城执党〔2024〕3号".encode() in _document_xml(docx_bytes)


def _document_xml(docx_bytes: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        return archive.read("word/document.xml")


def test_printed_on_reads_a_plain_yaml_date_and_refuses_a_bad_one(database: Database, tmp_path: Path) -> None:
    from models.errors import InvalidPlan
    from tasks.ledger.plan_load import load_plan_file
    from tests.support.work import committed, settings_clock

    plan = _plan_with_notice_options(tmp_path, "    printed_by: 某局办公室\n    printed_on: 2024-01-05\n")
    committed(database, load_plan_file, plan, settings_clock())
    with database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 31)))
    assert document.plain_paragraphs()[-1] == "某局办公室　　2024年1月5日印发"
    bad = _plan_with_notice_options(tmp_path, "    printed_by: 某局办公室\n    printed_on: 2024-02-30\n")
    with pytest.raises(InvalidPlan) as raised:
        committed(database, load_plan_file, bad, settings_clock())
    assert "round.notice.printed_on" in str(raised.value)
    assert "'2024-02-30' is not a date (YYYY-MM-DD)" in str(raised.value)


def test_seed_markdown_shows_its_nine_headings_and_labels_bold_in_commonmark(
    seeded_database: Database,
) -> None:
    from html import unescape

    from markdown_it import MarkdownIt

    with seeded_database.unit_of_work() as session:
        document = load_notice_document(session, SEED_ROUND, on(date(2023, 12, 31)))
    markdown = render_notice(document, "md")
    assert isinstance(markdown, str)
    html = MarkdownIt("commonmark").render(markdown)
    strong = re.findall(r"<strong>(.*?)</strong>", html)
    # 一、…。 with the closing 。 outside the delimiters, so that CommonMark closes them.
    assert [s for s in strong if s != "整改成效"] == [p.heading.removesuffix("。") for p in document.problems]
    assert len(document.problems) == 9
    assert strong.count("整改成效") == 9
    assert "**" not in html
    # The text is the seed's, paragraph by paragraph, once the tags are gone.
    paragraphs = [
        unescape(re.sub(r"<[^>]+>", "", p)) for p in re.findall(r"<(?:p|h1)>(.*?)</(?:p|h1)>", html)
    ]
    assert paragraphs == document.plain_paragraphs()
