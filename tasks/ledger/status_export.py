"""The whole-round overview (``zhenggai status --format xlsx``) as an Excel workbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path


def write_status_workbook(
    path: Path, day: date, headers: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    """Write one sheet, 整改进展 as of ``day``: a header row, then one row a measure (write-only mode)."""
    from openpyxl import Workbook

    with path.open("wb") as file:  # a path that cannot be written fails here, before the workbook exists
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(f"整改进展 {day.isoformat()}")
        sheet.append(list(headers))
        for row in rows:
            sheet.append(list(row))
        workbook.save(file)
