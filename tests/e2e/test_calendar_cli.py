"""``zhenggai calendar``: a bureau imports the State Council's notice, shows a year, sees what is official."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models.db import Database
from models.tables import CalendarImport

DATA = Path(__file__).parents[1] / "data" / "calendar"

# An arrangement for 2027 in the notice's published style. The dates are made up for the tests: the
# State Council had not published 2027 when this was written.
NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号
各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕、周五）至13日（农历正月初八、周六）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。
国务院办公厅
2026年11月12日
"""


@pytest.fixture
def notice_2027(tmp_path: Path) -> Path:
    path = tmp_path / "2027.txt"
    path.write_text(NOTICE_2027, encoding="utf-8")
    return path


def imports(database: Database) -> int:
    with database.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(CalendarImport)) or 0)


def test_the_2026_notice_imports_and_agrees_with_the_package(
    cli: Callable[..., Any], database: Database
) -> None:
    result = cli("calendar", "import", DATA / "2026.txt", "--by", "张三")

    assert result.exit_code == 0, result.output
    assert "2026年, 7 holiday periods, 33 日 off, 6 调休 working days" in result.output
    assert "休 春节：2026年2月15日（周日）至2026年2月23日（周一），9日" in result.output
    assert "班 2026年2月14日（周六）调休上班（春节）" in result.output
    assert "chinesecalendar 1.11.0 agrees day by day" in result.output
    assert "stored 2026 as import #1" in result.output
    status = cli("calendar", "status")
    assert "official (imported notice)" in status.output and "张三" in status.output


def test_a_2027_notice_makes_the_year_official(
    cli: Callable[..., Any], database: Database, notice_2027: Path
) -> None:
    before = cli("calendar", "show", "2027")
    imported = cli("calendar", "import", notice_2027)
    after = cli("calendar", "show", "2027")
    status = cli("calendar", "status")

    assert before.exit_code == 0, before.output
    assert "provisional: holidays fixed by law and weekends" in before.output
    assert " 1休?" in before.output and "休 元旦：1月1日（暂定）" in before.output
    assert "休 春节：2月5日至10日（暂定）" in before.output
    assert imported.exit_code == 0, imported.output
    assert "chinesecalendar 1.11.0 has no data for 2027" in imported.output
    assert "2027年 — official (imported notice)" in after.output
    assert "?" not in after.output
    assert "休 春节：2月5日至13日" in after.output
    assert "31班" in after.output and "班 1月31日（周日）调休上班（春节）" in after.output
    assert status.exit_code == 0, status.output
    assert "2027" in status.output and "official (imported notice)" in status.output


def test_a_dry_run_stores_nothing(cli: Callable[..., Any], database: Database, notice_2027: Path) -> None:
    result = cli("calendar", "import", notice_2027, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "dry run: nothing stored for 2027" in result.output
    assert imports(database) == 0
    # Not even an id is spent (PostgreSQL sequences advance on a rolled-back insert).
    assert "stored 2027 as import #1" in cli("calendar", "import", notice_2027).output


def test_an_unreadable_notice_names_file_and_line_and_stores_nothing(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    broken = tmp_path / "2027.txt"
    broken.write_text(NOTICE_2027.replace("1月31日（周日）", "1月31日（周六）"), encoding="utf-8")

    result = cli("calendar", "import", broken)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {broken}: 1 error(s), nothing was written")
    assert f"{broken}:6: 春节: 1月31日 (2027-01-31) is a 周日, not 周六 as written" in result.stderr
    assert "Traceback" not in result.stderr
    assert imports(database) == 0


def test_a_new_import_replaces_the_year_and_lists_what_changed(
    cli: Callable[..., Any], database: Database, notice_2027: Path, tmp_path: Path
) -> None:
    draft = tmp_path / "2027-draft.yaml"
    draft.write_text((DATA / "2027-example.yaml").read_text(encoding="utf-8").replace("2027-04-25, ", ""))
    cli("calendar", "import", draft, "--by", "李四")

    result = cli("calendar", "import", notice_2027)
    status = cli("calendar", "status")

    assert result.exit_code == 0, result.output
    assert (
        "replaces import #1" in result.output
        and "by 李四 (2027-draft.yaml): 1 day(s) change" in result.output
    )
    assert "2027-04-25 (周日): was weekend, now at work (调休，劳动节)" in result.output
    assert "earlier imports (replaced):" in status.output and "2027-draft.yaml" in status.output
    assert imports(database) == 2


def test_disagreements_with_the_package_are_reported(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    notice = tmp_path / "2025.txt"
    notice.write_text((DATA / "2025.txt").read_text(encoding="utf-8").replace("4月27日（周日）上班。", ""))

    result = cli("calendar", "import", notice)

    assert result.exit_code == 0, result.output
    assert "warning: chinesecalendar 1.11.0 decides 1 day(s) otherwise; the import counts:" in result.stderr
    assert "2025-04-27 (周日): chinesecalendar at work (调休，劳动节), imported weekend" in result.stderr


def test_a_notice_without_its_title_needs_the_year(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    body = tmp_path / "items.txt"
    body.write_text("\n".join(NOTICE_2027.splitlines()[4:11]), encoding="utf-8")

    without = cli("calendar", "import", body)
    with_year = cli("calendar", "import", body, "--year", "2027")

    assert without.exit_code == 1 and "names no year" in without.stderr
    assert with_year.exit_code == 0, with_year.output
    assert imports(database) == 1


def test_show_with_the_error_fallback_still_shows_the_statutory_guess(
    cli: Callable[..., Any], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHENGGAI_CALENDAR_FALLBACK", "error")

    result = cli("calendar", "show", "2027")

    assert result.exit_code == 0, result.output
    assert "ZHENGGAI_CALENDAR_FALLBACK=error" in result.stderr
    assert "休 春节：2月5日至10日（暂定）" in result.output


def test_a_file_of_another_kind_is_refused(
    cli: Callable[..., Any], database: Database, tmp_path: Path
) -> None:
    other = tmp_path / "2027.docx"
    other.write_bytes(b"PK")

    result = cli("calendar", "import", other)

    assert result.exit_code == 1 and "neither the notice as text nor YAML" in result.stderr
