"""``zhenggai assess`` on the seed's ledger: the ranking, explain, 加减分, closing, the documents, wrong input."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from models.db import Database

Cli = Callable[..., Any]
ROUND = "xinhua-2023-xc2"


def _counts(database: Database) -> tuple[int, int]:
    from models.tables import AssessmentAdjustment, AssessmentResult

    with database.unit_of_work() as session:
        return session.query(AssessmentResult).count(), session.query(AssessmentAdjustment).count()


def test_the_ranking_of_a_week_says_it_was_computed_without_a_snapshot(
    cli: Cli, seeded_database: Database
) -> None:
    result = cli("assess", "--round", ROUND, "--period", "2023-W52")
    assert result.exit_code == 0, result.output
    assert "考评排名 · xinhua-2023-xc2 · 2023年第52周（12月25日至12月31日）" in result.stdout
    # 各街道综合执法队 and 各街道办事处 are collectives: their members (示例街道…) are ranked one by one.
    assert re.search(r"^1（并列）\s+示例街道一综合执法队\s+98.5", result.stdout, re.MULTILINE)
    assert "5（并列）  区分类办" in result.stdout
    assert not re.search(r"^\S+\s+各街道", result.stdout, re.MULTILINE)
    assert "局督查机构" in result.stdout and "黑榜" in result.stdout
    assert "区公安分局（区外单位不参与排名）" in result.stdout
    assert (
        "round xinhua-2023-xc2: computed now from the ledger: 2023-W52 has no stored result" in result.stdout
    )


def test_closing_stores_the_result_and_later_commands_show_it(cli: Cli, seeded_database: Database) -> None:
    closed = cli("assess", "close", "--period", "2023-W52")
    assert closed.exit_code == 0 and "stored xinhua-2023-xc2 2023-W52: revision 1" in closed.stdout
    assert "already closed" in cli("assess", "close", "--period", "2023-W52").stdout
    adjusted = cli(
        "assess",
        "adjust",
        "--unit",
        "jiedao-1",
        "--period",
        "2023-W52",
        "--points",
        "-1.5",
        "--reason",
        "台账不全",
    )
    assert "recorded #1: 示例街道一 2023-W52 -1.5（台账不全）" in adjusted.stdout
    assert "its stored ranking shows this after" in adjusted.stdout
    # The stored ranking is not rewritten by the adjustment: 示例街道一 stays at 88.75 with no 加减分.
    assert re.search(r"示例街道一\s+88.75\s+88.75\s+—", cli("assess", "--period", "2023-W52").stdout)
    recomputed = cli("assess", "close", "--period", "2023-W52", "--recompute", "--reason", "补录扣分")
    assert "revision 2" in recomputed.stdout
    shown = cli("assess", "--period", "2023-W52").stdout
    assert "stored result of 2023-W52, revision 2" in shown and "(recomputed: 补录扣分)" in shown
    assert re.search(r"示例街道一\s+87.25\s+88.75\s+-1.5", shown)
    history = cli("assess", "history", "--period", "2023-W52").stdout
    assert "revision 1:" in history and "revision 2:" in history and "补录扣分" in history


def test_explain_lists_every_line_with_measure_date_rule_and_points(
    cli: Cli, seeded_database: Database
) -> None:
    result = cli("assess", "explain", "--unit", "jiedao-1", "--period", "2023-12")
    assert result.exit_code == 0
    assert "示例街道一（jiedao-1）· xinhua-2023-xc2 · 2023年12月" in result.stdout
    assert re.search(
        r"XH-05-7\s+2023-12-01\s+未报送进展\s+-1.5\s+报送周期11月30日09:00至12月1日09:00，未报送（配合·各街道办事处成员）",
        result.stdout,
    )
    assert re.search(r"XH-07-2\s+2023-12-29\s+逾期（每个工作日）\s+-10.5\s+逾期21个工作日", result.stdout)


def test_dry_runs_write_nothing(cli: Cli, seeded_database: Database) -> None:
    assert (
        "would record"
        in cli(
            "assess",
            "adjust",
            "--unit",
            "jiedao",
            "--period",
            "2023-W52",
            "--points",
            "2",
            "--reason",
            "x",
            "--dry-run",
        ).stdout
    )
    assert "would store" in cli("assess", "close", "--period", "2023-W52", "--dry-run").stdout
    assert _counts(seeded_database) == (0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2023-13"), "'2023-13' is not a month"),
        (("--period", "2025-W53"), "2025 has no ISO week 53"),
        (("--round", "nope"), "no round 'nope'"),
        (("--format", "pdf", "-o", "{tmp}/x.pdf"), "--format 'pdf' is not one of"),
        (("--format", "docx"), "--format docx writes a file: give -o FILE"),
        (("--format", "docx", "-o", "{tmp}/missing/x.docx"), "does not exist"),
        (("explain", "--period", "2023-12"), "Missing option '--unit'"),
        (("explain", "--unit", "nobody", "--period", "2023-12"), "unit 'nobody' has no share"),
        (
            ("adjust", "--unit", "jiedao", "--period", "2023-W52", "--points", "x", "--reason", "r"),
            "is not a number",
        ),
        (
            ("adjust", "--unit", "jiedao", "--period", "2023-W52", "--points", "3", "--reason", " "),
            "needs a reason",
        ),
        (
            ("adjust", "--unit", "ghost", "--period", "2023-W52", "--points", "3", "--reason", "r"),
            "no unit 'ghost'",
        ),
        (("close", "--period", "2999-W01"), "2999-W01 has not ended"),
        (("close", "--period", "2023-W52", "--recompute", "--reason", "x"), "has not been closed yet"),
        (("close", "--period", "2023-W52", "--reason", "x"), "--reason goes with --recompute"),
    ],
)
def test_every_wrong_input_is_one_line_exit_1_and_nothing_written(
    cli: Cli, seeded_database: Database, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = cli("assess", *[a.format(tmp=out) for a in args])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("error: ")
    assert message in result.stderr
    assert _counts(seeded_database) == (0, 0)
    assert list(out.rglob("*")) == []


def test_the_workbook_has_a_sheet_per_period_and_a_deductions_sheet(
    cli: Cli, seeded_database: Database, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    cli("assess", "close", "--period", "2023-W51")
    cli(
        "assess",
        "adjust",
        "--unit",
        "jiedao-1",
        "--period",
        "2023-W52",
        "--points",
        "2",
        "--reason",
        "市级表扬",
    )
    target = tmp_path / "考评.xlsx"
    result = cli("assess", "--period", "2023-W52", "--format", "xlsx", "-o", target)
    assert result.exit_code == 0 and target.exists()
    workbook = load_workbook(target)
    assert workbook.sheetnames == ["2023-W52", "2023-W51", "扣分及加减分明细"]
    week = workbook["2023-W52"]
    assert week["A3"].value == "名次" and week["B4"].value == "示例街道一综合执法队"
    assert "即时计算" in week["A2"].value and "已封存" in workbook["2023-W51"]["A2"].value
    details = [tuple(c.value for c in row) for row in workbook["扣分及加减分明细"].iter_rows(min_row=2)]
    assert tuple(next(d for d in details if d[2] == "加减分")[i] for i in (0, 1, 2, 3, 5, 6)) == (
        "2023-W52",
        "示例街道一",
        "加减分",
        "—",
        "市级表扬",
        "2.00",
    )
    assert any(d[5] == "未报送进展" and d[6] == "-1.50" for d in details)


def test_the_ranking_notice_docx_has_the_layout_the_table_the_lists_and_the_chart(
    cli: Cli, seeded_database: Database, tmp_path: Path
) -> None:
    from docx import Document

    target = tmp_path / "考评通报.docx"
    assert cli("assess", "--period", "2023-W52", "--format", "docx", "-o", target).exit_code == 0
    document = Document(str(target))
    texts = [p.text for p in document.paragraphs]
    assert texts[:2] == [
        "中共新华区城市管理综合行政执法局党组",
        "关于2023年第52周（12月25日至12月31日）整改工作考评情况的通报",
    ]
    assert "一、考评排名" in texts and "二、红榜和黑榜" in texts
    black = next(t for t in texts if t.startswith("黑榜："))
    assert "示例街道一（得分88.75，位列第9名）" in black and "局督查机构（得分82.5，位列第13名）" in black
    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "名次",
        "单位",
        "总分",
        "基础分",
        "加减分",
        "较上期",
        "考评事项",
        "榜单",
    ]
    assert table.rows[1].cells[1].text == "示例街道一综合执法队"
    section = document.sections[0]
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    with zipfile.ZipFile(target) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        xml = package.read("word/document.xml").decode("utf-8")
    assert len(media) == 1 and media[0].endswith(".png")
    assert 'w:eastAsia="仿宋_GB2312"' in xml and 'w:eastAsia="黑体"' in xml


def test_markdown_writes_its_chart_beside_it_and_html_is_self_contained(
    cli: Cli, seeded_database: Database, tmp_path: Path
) -> None:
    from PIL import Image

    md = tmp_path / "考评通报.md"
    assert cli("assess", "--period", "2023-W52", "--format", "md", "-o", md).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert (
        "| 名次 | 单位 | 总分 |" in text
        and "![图1 2023年第52周（12月25日至12月31日）各单位考评得分](考评通报.png)" in text
    )
    with Image.open(tmp_path / "考评通报.png") as image:
        assert image.format == "PNG" and image.width == 1600
    page = tmp_path / "考评通报.html"
    assert cli("assess", "--period", "2023-W52", "--format", "html", "-o", page).exit_code == 0
    html = page.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and 'src="data:image/png;base64,' in html
    assert not re.search(r"""(src|href)=["']?https?://""", html)


def test_the_chart_finds_the_cjk_font_the_pdf_uses() -> None:
    from tasks.charts.bars import find_font
    from tasks.notice.pdf import FONTCONFIG_FILE

    path, _index = find_font("黑体", FONTCONFIG_FILE)
    assert "NotoSansCJK" in path
    _ = io
