"""A coordinator's path: import a published notice, export the 台账, fill in owners in Excel, import it back."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from models.tables import Measure, Report
from tests.factories import make_unit

NOTICE = Path(__file__).resolve().parents[1] / "data" / "notices" / "labels_and_markers.txt"


def test_notice_then_ledger_assigns_owners(cli, database, tmp_path):
    loaded = cli("import", "notice", NOTICE, "--round", "wj-2024", "--reported-on", "2024-09-01", "--load")
    assert loaded.exit_code == 0, loaded.output
    with database.unit_of_work() as session:
        make_unit(session, "yizheng", name="医政科")
        make_unit(session, "gongwei", name="公共卫生科")
        session.commit()

    workbook_path = tmp_path / "台账.xlsx"
    exported = cli("ledger", "export", "--round", "wj-2024", "-o", workbook_path, "--as-of", "2024-09-02")
    assert exported.exit_code == 0, exported.output
    # Exported unassigned, it reads back unchanged only when unassigned measures are allowed.
    refused = cli("ledger", "import", workbook_path)
    assert refused.exit_code == 1
    assert "整改台账!E3: 责任单位: no owner unit" in refused.stderr
    assert cli("ledger", "import", workbook_path, "--allow-unassigned").exit_code == 0

    workbook = load_workbook(workbook_path)
    sheet = workbook["整改台账"]
    assert (
        sheet["H3"].value == "全面清查。对全区社区卫生服务站药品逐一盘点，清理过期药品。"
    )  # the imported report
    for row in range(3, sheet.max_row + 1):
        problem = sheet.cell(row, 11).value.split("-")[-2]
        sheet.cell(row, 5).value = "医政科" if problem == "01" else "gongwei"
        sheet.cell(row, 7).value = "2024-12-31"
    workbook.save(workbook_path)

    imported = cli("ledger", "import", workbook_path)
    assert imported.exit_code == 0, imported.output
    assert "6 changed" in imported.stdout
    with database.unit_of_work() as session:
        measures = session.scalars(select(Measure).order_by(Measure.code)).all()
        assert [m.lead_unit.code for m in measures] == ["yizheng"] * 3 + ["gongwei"] * 3
        assert {str(m.deadline) for m in measures} == {"2024-12-31"}
        assert [m.marker for m in measures] == ["一要", "二要", "三要", "一是", "二是", "三是"]
        assert len(session.scalars(select(Report)).all()) == 6  # progress is untouched by the 台账
