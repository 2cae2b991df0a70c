"""``zhenggai import notice`` end to end: YAML out, plan load, --load, --strict, and the notice regenerated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import func, select

from models.tables import Measure, Problem, Report, Round, StatusEvent

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "xinhua-2023" / "notice.txt"
NOTICES = ROOT / "tests" / "data" / "notices"


def counts(database) -> dict[str, int]:
    with database.unit_of_work() as session:
        return {
            table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (Round, Problem, Measure, Report, StatusEvent)
        }


def test_writes_plan_and_reports_that_plan_load_accepts_only_with_allow_unassigned(cli, database, tmp_path):
    plan = tmp_path / "plan.yaml"
    result = cli("import", "notice", SEED, "--round", "xh-import", "--reported-on", "2023-12-15", "-o", plan)
    assert result.exit_code == 0, result.output
    assert "9 problems, 28 measures" in result.stderr
    assert "28 measures have no owner unit" in result.stderr
    reports = tmp_path / "plan.reports.yaml"
    assert yaml.safe_load(reports.read_text(encoding="utf-8"))["round"] == "xh-import"

    refused = cli("plan", "load", plan)
    assert refused.exit_code == 1
    assert "no owner unit" in refused.stderr and "--allow-unassigned" in refused.stderr
    assert counts(database)["rounds"] == 0

    loaded = cli("plan", "load", plan, "--allow-unassigned")
    assert loaded.exit_code == 0, loaded.output
    recorded = cli("report", "load", reports)
    assert recorded.exit_code == 0, recorded.output
    assert counts(database)["reports"] == 28


def test_load_straight_into_the_database_is_idempotent(cli, database):
    args = (
        "import",
        "notice",
        SEED,
        "--round",
        "xh-import",
        "--code-prefix",
        "XH",
        "--reported-on",
        "2023-12-15",
    )
    first = cli(*args, "--load")
    assert first.exit_code == 0, first.output
    assert "28 recorded" in first.stdout
    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == "xh-import"))
        assert round_.inspection_end == date(2023, 8, 31)
        assert round_.contact_email == "xhqcgjjs@163.com"
        assert [p.title for p in round_.problems][3] == "争先进位意识不够强"
        measures = session.scalars(select(Measure).order_by(Measure.code)).all()
        assert len(measures) == 28 and all(m.lead_unit_id is None for m in measures)
        assert [m.marker for m in measures if m.code.startswith("XH-03-")] == ["一是", "二是", "三要"]
        report = session.scalar(select(Report).join(Measure).where(Measure.code == "XH-09-1"))
        assert report.text.startswith("10月27日召开全局劳务派遣员工培训")
        assert report.source == "import"
    before = counts(database)
    again = cli(*args, "--load")
    assert again.exit_code == 0, again.output
    assert "0 changes" in again.stdout and "0 recorded, 28 already recorded" in again.stdout
    assert counts(database) == before


def test_stdout_holds_the_plan_then_the_reports(cli, database):
    result = cli("import", "notice", NOTICES / "labels_and_markers.txt", "--reported-on", "2024-09-01")
    assert result.exit_code == 0, result.output
    plan, reports = list(yaml.safe_load_all(result.stdout))
    assert plan["round"]["code"] == "labels_and_markers"  # the file name
    assert plan["round"]["notice"] == {"label": "整改情况", "statistics": "before_closing"}
    assert [m["marker"] for m in plan["problems"][0]["measures"]] == ["一要", "二要", "三要"]
    assert len(reports["reports"]) == 6


def test_unplaced_lines_are_listed_and_strict_refuses_writing_nothing(cli, database, tmp_path):
    source = NOTICES / "unplaceable.txt"
    lenient = cli("import", "notice", source, "-o", tmp_path / "sl.yaml")
    assert lenient.exit_code == 0, lenient.output
    assert "line 14: text after the signature: 附件：整改台账" in lenient.stderr
    # The reports take the notice's own date when --reported-on is not given.
    reports = yaml.safe_load((tmp_path / "sl.reports.yaml").read_text(encoding="utf-8"))
    assert reports["reports"][0]["submitted_at"].startswith("2023-10-08T00:00:00")

    strict = cli("import", "notice", source, "--strict", "--load", "-o", tmp_path / "strict.yaml")
    assert strict.exit_code == 1
    assert "unplaceable.txt:3" in strict.stderr and "unplaceable.txt:14" in strict.stderr
    assert not (tmp_path / "strict.yaml").exists()
    assert counts(database)["rounds"] == 0


def test_gb18030_file(cli, database, tmp_path):
    source = tmp_path / "gbk.txt"
    source.write_bytes((NOTICES / "labels_and_markers.txt").read_text(encoding="utf-8").encode("gb18030"))
    result = cli("import", "notice", source, "--reported-on", "2024-09-01", "--strict", "--load")
    assert result.exit_code == 0, result.output
    assert counts(database)["measures"] == 6


def test_bad_reported_on_is_a_usage_error(cli, database):
    result = cli("import", "notice", SEED, "--reported-on", "2023-13-01")
    assert result.exit_code == 2
    assert "--reported-on" in result.output


# -- Word, web pages and facts the notice does not state -----------------------------------------


def test_a_word_notice_with_a_bold_lead_loads(cli, database):
    result = cli(
        "import", "notice", NOTICES / "n08_bold_lead_sentence.docx", "--round", "nh", "--strict", "--load"
    )
    assert result.exit_code == 0, result.output
    assert "3 problems, 6 measures" in result.stderr
    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == "nh"))
        assert round_.problems[0].title == "班子成员履行“一岗双责”不够到位"
        assert round_.statistics["completion_rate"] == 81.3
        assert round_.notice_options["label"] == "整改情况"


def test_a_saved_web_page_dates_its_reports_by_the_publication(cli, database):
    result = cli("import", "notice", NOTICES / "n10_portal_page.html", "--round", "qh", "--strict")
    assert result.exit_code == 0, result.output
    plan, reports = list(yaml.safe_load_all(result.stdout))
    assert plan["round"]["inspected_org"] == "中共青禾县交通运输局党组"
    assert plan["round"]["contact"]["phone"] == "0319-8123000"  # the notice's, not the site footer's
    assert reports["reports"][0]["submitted_at"].startswith("2024-11-05T00:00:00")


def test_a_missing_feedback_date_is_asked_for_and_never_stops_the_import(cli, database, tmp_path):
    source = NOTICES / "n09_table_ledger.docx"
    plan_path = tmp_path / "hk.yaml"
    written = cli("import", "notice", source, "--round", "hk", "-o", plan_path)
    assert written.exit_code == 0, written.output
    assert "the feedback date is not stated in the notice: give --feedback-date YYYY-MM-DD" in written.stderr
    text = plan_path.read_text(encoding="utf-8")
    assert "# round.feedback_date: the feedback date is not stated in the notice" in text
    assert yaml.safe_load(text)["round"]["feedback_date"] is None
    assert "#   预算股: hk-01-1, hk-01-2" in text  # the table's 责任单位, for the coordinator

    refused = cli("import", "notice", source, "--round", "hk", "--load", "-o", tmp_path / "refused.yaml")
    assert refused.exit_code == 1
    assert "round.feedback_date" in refused.stderr and "--feedback-date" in refused.stderr
    assert not (tmp_path / "refused.yaml").exists()
    assert counts(database)["rounds"] == 0


def test_the_option_completes_the_round_and_the_tables_units_and_statuses_are_used(cli, database):
    from tests.factories import make_unit

    with database.unit_of_work() as session:
        make_unit(session, "ysg", name="预算股")
        make_unit(session, "gkg", name="国库股")
        session.commit()
    args = ("import", "notice", NOTICES / "n09_table_ledger.docx", "--round", "hk", "--code-prefix", "HK")
    loaded = cli(*args, "--feedback-date", "2024-06-20", "--reported-on", "2024-12-01", "--load")
    assert loaded.exit_code == 0, loaded.output
    assert "owner units from the notice's table: 4" in loaded.stdout
    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == "hk"))
        assert round_.feedback_date == date(2024, 6, 20)
        measures = {m.code: m for m in session.scalars(select(Measure))}
        assert measures["HK-01-1"].lead_unit.code == "ysg" and measures["HK-05-2"].lead_unit.code == "gkg"
        assert measures["HK-02-1"].lead_unit is None  # 采购办 is not a unit of the ledger
        # 已完成 in the table: the reports claim done; 正在整改: in progress.
        assert (
            measures["HK-01-1"].status.value == "done" and measures["HK-05-1"].status.value == "in_progress"
        )


def test_every_date_option_and_the_issuer_fill_a_notice_without_a_preamble(cli, database):
    result = cli(
        "import",
        "notice",
        NOTICES / "no_preamble.txt",
        "--round",
        "np",
        "--inspecting-body",
        "区委第一巡察组",
        "--inspection-start",
        "2023-03-01",
        "--inspection-end",
        "2023-04-28",
        "--feedback-date",
        "2023-06-01",
        "--reported-on",
        "2023-09-01",
        "--load",
    )
    assert result.exit_code == 0, result.output
    with database.unit_of_work() as session:
        round_ = session.scalar(select(Round).where(Round.code == "np"))
        assert (round_.inspection_start, round_.inspecting_body) == (date(2023, 3, 1), "区委第一巡察组")


def test_a_file_of_another_kind_is_refused_with_its_name(cli, database, tmp_path):
    pdf = tmp_path / "通报.pdf"
    pdf.write_bytes(b"%PDF-1.7")
    result = cli("import", "notice", pdf)
    assert result.exit_code == 1
    assert "通报.pdf" in result.stderr and "cannot read a .pdf file" in result.stderr
