"""The 台账 sheet: its layout, and reading a workbook (exported or hand-made) into rows with their cells.

Layout (sheet ``整改台账``): a title row, the header row, one row per measure:

    序号 | 反馈问题 | 整改措施 | 责任领导 | 责任单位 | 配合单位 | 完成时限 | 整改进展（最新） | 状态 | 红黄绿灯 | 措施编号 (hidden)

* 反馈问题 holds ``一、<title>。<description>``, merged down the rows of the problem's measures; a hand-made
  台账 may also repeat it or leave it blank under the first row.
* 整改措施 holds the marker followed by the text (``一是强化…``).
* 措施编号, a hidden column, carries the measure code so that an exported workbook imports back onto the
  same measures; a row without one is a new measure and gets a code next to its siblings'.
* The sheet ``说明`` names the round (``轮次编号``).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.errors import InvalidDeadline, InvalidPlan, PlanIssue
from models.rules import parse_deadline

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet


SHEET = "整改台账"


NOTES_SHEET = "说明"


ROUND_KEY = "轮次编号"


COLUMNS = (
    "序号",
    "反馈问题",
    "整改措施",
    "责任领导",
    "责任单位",
    "配合单位",
    "完成时限",
    "整改进展（最新）",
    "状态",
    "红黄绿灯",
    "措施编号",
)


REQUIRED = ("反馈问题", "整改措施", "责任单位", "完成时限")


# Headers hand-made 台账 use for the same columns (compared after NFKC and without spaces).
SYNONYMS = {
    "序号": ("序号",),
    "反馈问题": ("反馈问题", "问题", "存在问题", "巡察反馈问题", "问题清单", "问题描述"),
    "整改措施": ("整改措施", "措施", "整改任务", "整改措施及要求"),
    "责任领导": ("责任领导", "牵头领导", "分管领导", "责任人"),
    "责任单位": ("责任单位", "牵头单位", "责任部门", "牵头部门", "责任科室"),
    "配合单位": ("配合单位", "配合部门", "协办单位", "协助单位"),
    "完成时限": ("完成时限", "整改时限", "时限", "完成时间", "时限要求"),
    "整改进展（最新）": ("整改进展（最新）", "整改进展", "进展情况", "最新进展", "整改情况"),
    "状态": ("状态", "整改状态", "完成情况"),
    "红黄绿灯": ("红黄绿灯", "亮灯", "灯色", "预警"),
    "措施编号": ("措施编号",),
}


DATE_LIKE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")


def plain_text(value: Any) -> str:
    """A cell's text compared loosely: NFKC, without white space ("" for an empty cell)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if value is not None else ""


_HEADER_LOOKUP = {plain_text(name): column for column, names in SYNONYMS.items() for name in names}


def sheet_ref(title: str) -> str:
    """A sheet's name as a cell reference writes it (quoted when it holds spaces or punctuation)."""
    return f"'{title}'" if re.search(r"[\s'!()\-,]", title) else title


@dataclass
class SheetRow:
    """One measure row as read from the sheet, with the cell of each column."""

    row: int
    cells: dict[str, str]  # column name → cell reference (整改台账!G12)
    values: dict[str, Any]
    problem_key: tuple[int, int] | str  # origin of the 反馈问题 cell (merged ranges share it)


@dataclass
class LedgerSheet:
    """What a workbook says, before it is matched against the ledger."""

    source: str
    sheet: str
    header_row: int
    columns: dict[str, int]  # column name → 1-based index
    rows: list[SheetRow]
    round_code: str | None
    ignored_columns: list[str] = field(default_factory=list)
    issues: list[PlanIssue] = field(default_factory=list)


def open_workbook(source: str | Path | bytes) -> Workbook:
    """Load an .xlsx (values, not formulas); ``InvalidPlan`` when it is not one."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    name = "workbook" if isinstance(source, bytes) else str(source)
    stream: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        return load_workbook(stream, data_only=True)
    except FileNotFoundError:
        raise InvalidPlan([PlanIssue(name, "", "no such file")]) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise InvalidPlan(
            [PlanIssue(name, "", f"not an Excel .xlsx workbook ({type(error).__name__})")]
        ) from None


def _pick_sheet(workbook: Workbook) -> Worksheet:
    for sheet in workbook.worksheets:
        if sheet.title == SHEET:
            return sheet
    return workbook.worksheets[0]


def _merged_origins(sheet: Worksheet) -> dict[tuple[int, int], tuple[int, int]]:
    origins = {}
    for merged in sheet.merged_cells.ranges:
        for r in range(merged.min_row, merged.max_row + 1):
            for c in range(merged.min_col, merged.max_col + 1):
                origins[(r, c)] = (merged.min_row, merged.min_col)
    return origins


def _round_from_notes(workbook: Workbook) -> str | None:
    if NOTES_SHEET not in workbook.sheetnames:
        return None
    for row in workbook[NOTES_SHEET].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if row and plain_text(row[0]) == ROUND_KEY and row[1] is not None:
            return str(row[1]).strip()
    return None


def read_ledger_sheet(workbook: Workbook, source: str) -> LedgerSheet:
    """Find the header, read each measure row (merged cells resolved) and check the sheet's own structure."""
    sheet = _pick_sheet(workbook)
    ref = sheet_ref(sheet.title)
    issues: list[PlanIssue] = []
    header_row = _header_row(sheet)
    if not header_row:
        expected = "、".join(COLUMNS[:-1])
        issues.append(
            PlanIssue(f"{ref}!A1", "header", f"no header row in the first 10 rows (expected {expected})")
        )
        return LedgerSheet(source, sheet.title, 0, {}, [], _round_from_notes(workbook), issues=issues)
    columns, ignored = _columns(sheet, header_row, ref, issues)
    reader = _RowReader(sheet, ref, columns, issues)
    rows = [row for r in range(header_row + 1, sheet.max_row + 1) if (row := reader.read(r)) is not None]
    if not rows and not issues:
        issues.append(PlanIssue(f"{ref}!A{header_row + 1}", "整改措施", "the sheet has no measure rows"))
    return LedgerSheet(
        source, sheet.title, header_row, columns, rows, _round_from_notes(workbook), ignored, issues
    )


def _header_row(sheet: Worksheet) -> int:
    """The row among the first ten that names the most known columns (three at least); 0 when none does."""
    header_row = best = 0
    for r in range(1, min(sheet.max_row, 10) + 1):
        known = sum(
            1 for c in range(1, sheet.max_column + 1) if plain_text(sheet.cell(r, c).value) in _HEADER_LOOKUP
        )
        if known > best and known >= 3:
            header_row, best = r, known
    return header_row


def _columns(
    sheet: Worksheet, header_row: int, ref: str, issues: list[PlanIssue]
) -> tuple[dict[str, int], list[str]]:
    """Each known column's index, and the headers not read; a column twice or a required one missing is an issue."""
    from openpyxl.utils import get_column_letter

    columns: dict[str, int] = {}
    ignored: list[str] = []
    for c in range(1, sheet.max_column + 1):
        raw = sheet.cell(header_row, c).value
        name = _HEADER_LOOKUP.get(plain_text(raw))
        if name is None:
            if raw is not None and str(raw).strip():
                ignored.append(str(raw).strip())
        elif name in columns:
            first = f"{get_column_letter(columns[name])}{header_row}"
            where = f"{ref}!{get_column_letter(c)}{header_row}"
            issues.append(PlanIssue(where, name, f"column '{raw}' appears twice (also {first})"))
        else:
            columns[name] = c
    found = "、".join(
        str(sheet.cell(header_row, c).value)
        for c in range(1, sheet.max_column + 1)
        if sheet.cell(header_row, c).value
    )
    for name in REQUIRED:
        if name not in columns:
            issues.append(
                PlanIssue(
                    f"{ref}!A{header_row}", name, f"missing column {name} (the header row has: {found})"
                )
            )
    return columns, ignored


class _RowReader:
    """Reads measure rows one after the other: which problem each belongs to, repeated 序号 and 措施编号."""

    EDITABLE = ("整改措施", "责任单位", "完成时限", "责任领导", "配合单位")

    def __init__(self, sheet: Worksheet, ref: str, columns: dict[str, int], issues: list[PlanIssue]) -> None:
        self.sheet, self.ref, self.columns, self.issues = sheet, ref, columns, issues
        self.origins = _merged_origins(sheet)
        self.problem_col = columns.get("反馈问题")
        self.previous_key: tuple[int, int] | str | None = None
        self.serials: dict[str, str] = {}
        self.codes: dict[str, str] = {}

    def value_at(self, r: int, c: int) -> Any:
        origin = self.origins.get((r, c), (r, c))
        return self.sheet.cell(row=origin[0], column=origin[1]).value

    def read(self, r: int) -> SheetRow | None:
        """Row ``r`` as a measure row; None for an empty row (or one with only a 序号 or a merged problem)."""
        from openpyxl.utils import get_column_letter

        values = {name: self.value_at(r, c) for name, c in self.columns.items()}
        cells = {name: f"{self.ref}!{get_column_letter(c)}{r}" for name, c in self.columns.items()}
        own_problem = (
            self.problem_col is not None
            and (r, self.problem_col) not in self.origins
            and not is_blank(values.get("反馈问题"))
        )
        if all(is_blank(values.get(n)) for n in self.EDITABLE if n in values) and not own_problem:
            return None
        key = self._problem_key(r, values, cells)
        self._check_serial(r, values, cells)
        self._check_code(values, cells)
        return SheetRow(r, cells, values, key)

    def _problem_key(self, r: int, values: dict[str, Any], cells: dict[str, str]) -> tuple[int, int] | str:
        """The problem a row belongs to: its 反馈问题 cell (merged ranges share one), or the one above."""
        key: tuple[int, int] | str
        if self.problem_col is not None and not is_blank(values.get("反馈问题")):
            key = self.origins.get((r, self.problem_col), (r, self.problem_col))
            previous = self.previous_key
            repeated = (
                previous is not None
                and not isinstance(previous, str)
                and plain_text(self.value_at(*previous)) == plain_text(values["反馈问题"])
            )
            if repeated:
                assert previous is not None
                key = previous  # the same problem repeated on each row
        elif self.previous_key is not None:
            key = self.previous_key  # blank under a problem: the same problem
        else:
            where = cells.get("反馈问题", f"{self.ref}!A{r}")
            self.issues.append(PlanIssue(where, "反馈问题", "is empty (no problem above it either)"))
            key = f"row{r}"
        self.previous_key = key
        return key

    def _check_serial(self, r: int, values: dict[str, Any], cells: dict[str, str]) -> None:
        if "序号" not in self.columns or is_blank(values["序号"]):
            return
        origin = f"{self.origins.get((r, self.columns['序号']), (r, self.columns['序号']))}"
        serial = plain_text(values["序号"])
        if serial in self.serials and self.serials[serial] != origin:
            self.issues.append(PlanIssue(cells["序号"], "序号", f"{serial} appears twice"))
        self.serials.setdefault(serial, origin)

    def _check_code(self, values: dict[str, Any], cells: dict[str, str]) -> None:
        if "措施编号" not in self.columns or is_blank(values["措施编号"]):
            return
        code = str(values["措施编号"]).strip()
        if code in self.codes:
            self.issues.append(
                PlanIssue(cells["措施编号"], "措施编号", f"'{code}' appears twice (also {self.codes[code]})")
            )
        self.codes.setdefault(code, cells["措施编号"])


def is_blank(value: Any) -> bool:
    """An empty cell: nothing, or only white space."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_deadline_cell(value: Any) -> date | str:
    """A 完成时限 cell: a date cell, an ISO or Chinese date, N个工作日 or 长期坚持; ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        from openpyxl.utils.datetime import from_excel

        if 20000 <= value <= 80000:  # an unformatted Excel date serial (1954–2119)
            converted = from_excel(value)
            return converted.date() if isinstance(converted, datetime) else converted
        raise ValueError(f"'{value}' is not a date")
    text = str(value).strip()
    try:
        spec = parse_deadline(text)
    except InvalidDeadline:
        if DATE_LIKE.match(unicodedata.normalize("NFKC", text)):
            raise ValueError(f"'{text}' is not a date") from None
        raise ValueError(f"'{text}' is not a date, N个工作日 or 长期坚持") from None
    return spec.on if spec.on is not None else str(spec)
