"""The 督办单 as PDF through LibreOffice: the longest, red sheet is one page (skipped without soffice)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.db import Database
from models.duban import SheetFacts
from tasks.notice.duban_docx import render_duban_docx
from tasks.notice.pdf import docx_to_pdf, soffice_path
from tests.support.pdf_layout import pages_of_lines

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")

LONGEST = SheetFacts(
    number="新城执督〔2024〕128号",
    level="red",
    measure_code="XH-09-12",
    measure_text="一是" + "加强市容环境卫生精细化管理" * 8,
    problem="问题九：" + "门前三包责任落实不到位" * 3,
    unit="新华区城市管理综合行政执法局第一执法中队",
    leader="分管市容副局长",
    deadline=date(2023, 12, 29),
    overdue_workdays=15,
    missed_periods=None,
    issued_on=date(2024, 1, 22),
    reply_by=date(2024, 1, 29),
    reply_workdays=5,
    issuer="区城管执法局整改工作领导小组办公室",
)


def test_the_longest_sheet_is_one_pdf_page(tmp_path: Path) -> None:
    path = tmp_path / "duban.pdf"
    path.write_bytes(docx_to_pdf(render_duban_docx(LONGEST)))
    pages = pages_of_lines(path)
    assert len(pages) == 1
    text = "".join(line.text for line in pages[0])
    assert "整改事项红色督办单" in text and "区城管执法局整改工作领导小组办公室" in text


@pytest.mark.sqlite_only
def test_the_cli_writes_the_pdf_and_refuses_an_unknown_number(
    database: Database, cli: Callable[..., Any], tmp_path: Path
) -> None:
    from models.clock import Clock
    from tasks.notify.planner import plan_messages
    from tests.integration.test_duban import CAL, POLICY, TIMEZONE, at, ledger
    from tests.support.work import committed

    ledger(database)
    committed(database, plan_messages, Clock(CAL, TIMEZONE, at(date(2024, 1, 4))), POLICY)
    written = cli("duban", "pdf", "督办〔2024〕1号", "-o", tmp_path / "d.pdf")
    assert written.exit_code == 0, written.output
    assert (tmp_path / "d.pdf").read_bytes().startswith(b"%PDF")
    assert cli("duban", "pdf", "督办〔2024〕7号", "-o", tmp_path / "x.pdf").exit_code == 1
    assert not (tmp_path / "x.pdf").exists()


def test_one_libreoffice_start_converts_several_sheets_each_to_its_own_pdf(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import dataclasses
    import subprocess

    from tasks.notice.pdf import docx_to_pdfs

    starts: list[list[str]] = []
    run = subprocess.run

    def counted(command: list[str], **kwargs: Any) -> Any:
        starts.append(command)
        return run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    units = {"a-1": "第一执法中队", "b-2": "第二执法中队", "c-3": "第三执法中队"}
    documents = {
        name: render_duban_docx(dataclasses.replace(LONGEST, unit=unit)) for name, unit in units.items()
    }

    pdfs = docx_to_pdfs(documents)

    assert len(starts) == 1
    assert sorted(pdfs) == sorted(units)
    for name, unit in units.items():
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdfs[name])
        assert pdfs[name][:5] == b"%PDF-"
        assert unit in "".join(line.text for line in pages_of_lines(path)[0]), name
