"""Hostile and odd input at the command line (docs/reliability.md, "Bad input"): the one text rule on
``report add``, reports files and plans; stored rows with control characters never reach the terminal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models.db import Database
from models.tables import Measure, Report
from tests.conftest import SEED_ROUND
from tests.support.dump import dump


def test_report_add_refuses_a_control_character_naming_the_field(
    cli: Callable[..., Any], seeded_database: Database
) -> None:
    before = dump(seeded_database)
    result = cli("report", "add", "--measure", "XH-08-1", "--text", "已整改\x1b[2J完毕")

    assert result.exit_code == 1
    assert result.stderr.strip() == "error: text: contains the control character ESC (U+001B); remove it"
    assert dump(seeded_database) == before


def test_report_add_keeps_words_line_breaks_as_line_breaks(
    cli: Callable[..., Any], seeded_database: Database
) -> None:
    result = cli(
        "report", "add", "--measure", "XH-08-1", "--text", "一是\v二是\u200b完成", "--author", "张\u202e三"
    )

    assert result.exit_code == 0, result.output
    with seeded_database.unit_of_work() as session:
        report = session.scalars(select(Report).order_by(Report.id.desc()).limit(1)).one()
        assert (report.text, report.author) == ("一是\n二是完成", "张三")


def test_a_reports_file_with_a_nul_is_refused_by_line_and_field(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "reports.yaml"
    path.write_text(
        f"round: {SEED_ROUND}\nreports:\n"
        '  - measure: XH-08-2\n    submitted_at: 2023-12-20T09:00:00+08:00\n    text: "已整改\\0完毕"\n',
        encoding="utf-8",
    )
    before = dump(seeded_database)

    result = cli("report", "load", path)

    assert result.exit_code == 1
    assert (
        f"{path}:5: reports[0].text: contains the control character NUL (U+0000); remove it" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert dump(seeded_database) == before


def test_a_reports_file_keeps_words_line_breaks(
    cli: Callable[..., Any], seeded_database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "reports.yaml"
    path.write_text(
        f"round: {SEED_ROUND}\nreports:\n"
        '  - measure: XH-08-1\n    submitted_at: 2023-12-20T09:00:00+08:00\n    text: "一是\\v二是\\L三是"\n',
        encoding="utf-8",
    )

    assert cli("report", "load", path).exit_code == 0
    with seeded_database.unit_of_work() as session:
        report = session.scalars(select(Report).order_by(Report.id.desc()).limit(1)).one()
        assert report.text == "一是\n二是\n三是"


def test_a_plan_with_an_escape_character_is_refused_by_line_and_field(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLE_DIR

    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    first = text.index("text: ", text.index("measures:"))
    path = tmp_path / "plan.yaml"
    path.write_text(text[:first] + 'text: "严格\\e[31m落实"\n#' + text[first + 6 :], encoding="utf-8")
    line = text[:first].count("\n") + 1

    result = cli("plan", "load", path)

    assert result.exit_code == 1, result.output
    assert f"{path}:{line}: problems[0].measures[0].text: contains the control character ESC" in result.stderr
    with database.unit_of_work() as session:
        assert session.scalars(select(Measure)).first() is None


def test_a_plan_keeps_word_line_breaks_and_drops_invisible_characters(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    from tests.conftest import EXAMPLE_DIR

    text = (EXAMPLE_DIR / "plan.yaml").read_text(encoding="utf-8")
    first = text.index("text: ", text.index("measures:"))
    path = tmp_path / "plan.yaml"
    path.write_text(text[:first] + 'text: "严格\\v落\\u200b实"\n#' + text[first + 6 :], encoding="utf-8")

    assert cli("plan", "load", path).exit_code == 0
    with database.unit_of_work() as session:
        assert session.scalars(select(Measure.text).order_by(Measure.id)).first() == "严格\n落实"


def test_stored_escape_sequences_never_reach_the_terminal(
    cli: Callable[..., Any], seeded_database: Database
) -> None:
    from datetime import UTC, datetime

    from tests.factories import make_report

    with seeded_database.unit_of_work() as session:
        measure = session.scalars(select(Measure).where(Measure.code == "XH-08-1")).one()
        measure.text = "落实\x1b]0;pwned\x07整改"
        make_report(
            session,
            measure,
            text="已整改\x1b[2J\x1b[31m完毕\x9b1m",
            submitted_at=datetime(2023, 12, 28, tzinfo=UTC),
        )
        session.commit()

    outputs = [
        cli("status", "--round", SEED_ROUND, "--as-of", "2023-12-29"),
        cli("status", "--measure", "XH-08-1", "--as-of", "2023-12-29"),
        cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-29", "--format", "txt"),
        cli("notice", "--round", SEED_ROUND, "--as-of", "2023-12-29", "--format", "md"),
    ]
    for result in outputs:
        assert result.exit_code == 0, result.output
        assert not any(ch in result.output for ch in "\x1b\x07\x9b"), repr(result.output)
    assert "已整改[2J[31m完毕1m" in outputs[2].output
