"""The Excel 整改台账 both ways: export a round's ledger, import a workbook back into it.

Layout (sheet ``整改台账``): a title row, the header row, one row per measure:

    序号 | 反馈问题 | 整改措施 | 责任领导 | 责任单位 | 配合单位 | 完成时限 | 整改进展（最新） | 状态 | 红黄绿灯 | 措施编号 (hidden)

* 反馈问题 holds ``一、<title>。<description>``, merged down the rows of the problem's measures; a hand-made
  台账 may also repeat it or leave it blank under the first row.
* 整改措施 holds the marker followed by the text (``一是强化…``).
* 措施编号, a hidden column, carries the measure code so that an exported workbook imports back onto the
  same measures; a row without one is a new measure and gets a code next to its siblings'.
* The sheet ``说明`` names the round (``轮次编号``).

Import reads the columns a coordinator edits (反馈问题, 整改措施, 责任领导, 责任单位, 配合单位, 完成时限, 状态);
整改进展（最新） and 红黄绿灯 are derived from reports and never read back. What the sheet does not show
(the round's facts, cadences, lead-ins, units and contacts) stays as the ledger holds it. Everything is
validated first; every error names its cell (``整改台账!G12``) and nothing is written on any error.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.enums import MeasureStatus
from models.errors import InvalidDeadline, InvalidPlan, PlanIssue, UnknownRound
from models.rules import LIGHT_LABEL, STATE_LABEL, STATUS_LABEL, Light, chinese_ordinal, parse_deadline

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet
    from sqlalchemy.orm import Session

    from models.db import Database
    from models.workdays import WorkingCalendar
    from tasks.ledger.plan_schema import PlanChanges, PlanDocument

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
WIDTHS = (6, 32, 48, 12, 16, 16, 12, 48, 9, 9, 16)
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
LIGHT_FILL = {Light.RED: "FFFF8080", Light.YELLOW: "FFFFE066", Light.GREEN: "FF8FD19E"}
STATUS_BY_LABEL = {label: status for status, label in STATUS_LABEL.items()} | {
    s.value: s for s in MeasureStatus
}
MARKER_AT_START = re.compile(r"^(?P<marker>[一二三四五六七八九十]{1,3}(?:是|要))(?=\S)")
PROBLEM_PREFIX = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+\s*[、.．]|\d+\s*[、.．]|[（(][一二三四五六七八九十\d]+[）)])\s*"
)
LIST_SPLIT = re.compile(r"[、，,；;/\n]+")
DATE_LIKE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$")


def _norm(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))) if value is not None else ""


_HEADER_LOOKUP = {_norm(name): column for column, names in SYNONYMS.items() for name in names}


def _sheet_ref(title: str) -> str:
    return f"'{title}'" if re.search(r"[\s'!()\-,]", title) else title


# -- export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One measure as the 台账 prints it."""

    serial: int
    problem: str  # 一、<title>。<description>
    problem_ordinal: int
    measure: str  # marker + text
    leader: str
    lead_unit: str
    co_units: str
    deadline: date | str
    progress: str
    status: str
    light: Light
    state: str
    code: str


def ledger_rows(
    session: Session,
    round_code: str,
    *,
    today: date,
    calendar: WorkingCalendar,
    timezone: str,
    report_missing: Callable[[Any, Any, date], bool] | None = None,
) -> tuple[str, list[LedgerRow]]:
    """The round's title and its 台账 rows as of ``today``."""
    from tasks.ledger.queries import live_measures, measure_overview

    measures = {m.code: m for m in live_measures(session, round_code=round_code)}
    overview = measure_overview(
        session,
        today=today,
        calendar=calendar,
        timezone=timezone,
        round_code=round_code,
        report_missing=report_missing,
    )
    rows = []
    title = ""
    for serial, row in enumerate(overview, start=1):
        measure = measures[row.code]
        problem = measure.problem
        title = problem.round.title
        heading = f"{chinese_ordinal(problem.ordinal)}、{problem.title}"
        if problem.description.strip():
            heading += ("" if heading.endswith(("。", "！", "？")) else "。") + problem.description.strip()
        spec = parse_deadline(measure.deadline_spec)
        rows.append(
            LedgerRow(
                serial=serial,
                problem=heading,
                problem_ordinal=problem.ordinal,
                measure=measure.marker + measure.text,
                leader=measure.leader.person if measure.leader else "",
                lead_unit=measure.lead_unit.name if measure.lead_unit else "",
                co_units="、".join(u.name for u in measure.co_units),
                deadline=spec.on if spec.on is not None else measure.deadline_spec,
                progress=row.last_report_text or "",
                status=STATUS_LABEL[measure.status],
                light=row.light,
                state=STATE_LABEL[row.state],
                code=measure.code,
            )
        )
    return title, rows


def build_workbook(round_code: str, round_title: str, rows: Sequence[LedgerRow], today: date) -> Workbook:
    """The 台账 workbook, formatted for printing on A4 landscape."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = SHEET
    last = get_column_letter(len(COLUMNS) - 1)  # the title spans the visible columns
    thin = Side(style="thin", color="FF808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap_top = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    sheet["A1"] = f"{round_title}台账（截至{today.year}年{today.month}月{today.day}日）"
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = centre
    sheet.merge_cells(f"A1:{last}1")
    sheet.row_dimensions[1].height = 30
    for index, (name, width) in enumerate(zip(COLUMNS, WIDTHS, strict=True), start=1):
        cell = sheet.cell(row=2, column=index, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFD9D9D9")
        cell.alignment = centre
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.column_dimensions[get_column_letter(len(COLUMNS))].hidden = True

    first_data = 3
    for offset, row in enumerate(rows):
        r = first_data + offset
        values: list[Any] = [
            row.serial,
            row.problem,
            row.measure,
            row.leader,
            row.lead_unit,
            row.co_units,
            row.deadline,
            row.progress,
            row.status,
            LIGHT_LABEL[row.light],
            row.code,
        ]
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=index, value=value)
            cell.alignment = centre if index in (1, 7, 9, 10) else wrap_top
            cell.border = border
        sheet.cell(row=r, column=7).number_format = "yyyy-mm-dd"
        sheet.cell(row=r, column=10).fill = PatternFill("solid", fgColor=LIGHT_FILL[row.light])
    # The problem column merged down each problem's rows, as a hand-made 台账 has it.
    start = 0
    for index in range(1, len(rows) + 1):
        if index == len(rows) or rows[index].problem_ordinal != rows[start].problem_ordinal:
            if index - start > 1:
                sheet.merge_cells(
                    start_row=first_data + start, end_row=first_data + index - 1, start_column=2, end_column=2
                )
            start = index

    if rows:
        status_list = DataValidation(
            type="list", formula1='"' + ",".join(STATUS_LABEL.values()) + '"', allow_blank=True
        )
        status_list.add(f"I{first_data}:I{first_data + len(rows) - 1}")
        sheet.add_data_validation(status_list)
    sheet.freeze_panes = f"A{first_data}"
    sheet.auto_filter.ref = f"A2:{last}{max(2, first_data + len(rows) - 1)}"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"

    notes = workbook.create_sheet(NOTES_SHEET)
    for r, (key, value) in enumerate(
        [
            (ROUND_KEY, round_code),
            ("轮次", round_title),
            ("导出日期", today),
            (
                "说明",
                "整改进展（最新）与红黄绿灯由报送情况生成，导入时不读取；隐藏的“措施编号”列请勿修改，新增措施留空即可。",
            ),
            ("导入", f"zhenggai ledger import 台账.xlsx --round {round_code}"),
        ],
        start=1,
    ):
        notes.cell(row=r, column=1, value=key).font = Font(bold=True)
        notes.cell(row=r, column=2, value=value).alignment = Alignment(wrap_text=True)
    notes["B3"].number_format = "yyyy-mm-dd"
    notes.column_dimensions["A"].width = 12
    notes.column_dimensions["B"].width = 80
    return workbook


def export_ledger(
    database: Database,
    round_code: str,
    path: Path,
    *,
    today: date,
    calendar: WorkingCalendar,
    timezone: str,
    report_missing: Callable[[Any, Any, date], bool] | None = None,
) -> int:
    """Write the round's 台账 to ``path``; return the number of measure rows."""
    with database.unit_of_work() as session:
        title, rows = ledger_rows(
            session,
            round_code,
            today=today,
            calendar=calendar,
            timezone=timezone,
            report_missing=report_missing,
        )
        if not title:
            from sqlalchemy import select

            from models.tables import Round

            title = session.scalar(select(Round.title).where(Round.code == round_code)) or round_code
    build_workbook(round_code, title, rows, today).save(path)
    return len(rows)


# -- import: reading the workbook ---------------------------------------------------------------


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
        if row and _norm(row[0]) == ROUND_KEY and row[1] is not None:
            return str(row[1]).strip()
    return None


def read_ledger_sheet(workbook: Workbook, source: str) -> LedgerSheet:
    """Find the header, read each measure row (merged cells resolved) and check the sheet's own structure."""
    from openpyxl.utils import get_column_letter

    sheet = _pick_sheet(workbook)
    ref = _sheet_ref(sheet.title)
    issues: list[PlanIssue] = []
    origins = _merged_origins(sheet)

    def value_at(r: int, c: int) -> Any:
        origin = origins.get((r, c), (r, c))
        return sheet.cell(row=origin[0], column=origin[1]).value

    header_row = 0
    best = 0
    for r in range(1, min(sheet.max_row, 10) + 1):
        known = sum(
            1 for c in range(1, sheet.max_column + 1) if _norm(sheet.cell(r, c).value) in _HEADER_LOOKUP
        )
        if known > best and known >= 3:
            header_row, best = r, known
    if not header_row:
        expected = "、".join(COLUMNS[:-1])
        issues.append(
            PlanIssue(f"{ref}!A1", "header", f"no header row in the first 10 rows (expected {expected})")
        )
        return LedgerSheet(source, sheet.title, 0, {}, [], _round_from_notes(workbook), issues=issues)

    columns: dict[str, int] = {}
    ignored: list[str] = []
    for c in range(1, sheet.max_column + 1):
        raw = sheet.cell(header_row, c).value
        name = _HEADER_LOOKUP.get(_norm(raw))
        where = f"{ref}!{get_column_letter(c)}{header_row}"
        if name is None:
            if raw is not None and str(raw).strip():
                ignored.append(str(raw).strip())
            continue
        if name in columns:
            first = f"{get_column_letter(columns[name])}{header_row}"
            issues.append(PlanIssue(where, name, f"column '{raw}' appears twice (also {first})"))
            continue
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

    rows: list[SheetRow] = []
    serials: dict[str, str] = {}
    codes: dict[str, str] = {}
    previous_key: tuple[int, int] | str | None = None
    problem_col = columns.get("反馈问题")
    for r in range(header_row + 1, sheet.max_row + 1):
        values = {name: value_at(r, c) for name, c in columns.items()}
        cells = {name: f"{ref}!{get_column_letter(c)}{r}" for name, c in columns.items()}
        editable = [n for n in ("整改措施", "责任单位", "完成时限", "责任领导", "配合单位") if n in values]
        own_problem = (
            problem_col is not None
            and (r, problem_col) not in origins
            and _blank(values.get("反馈问题")) is False
        )
        if all(_blank(values.get(n)) for n in editable) and not own_problem:
            continue  # an empty row (or one with only a 序号 or a merged problem cell)
        key: tuple[int, int] | str
        if problem_col is not None and not _blank(values.get("反馈问题")):
            key = origins.get((r, problem_col), (r, problem_col))
            if previous_key is not None and not isinstance(previous_key, str):
                prev_value = value_at(*previous_key)
                if _norm(prev_value) == _norm(values["反馈问题"]):
                    key = previous_key  # the same problem repeated on each row
        elif previous_key is not None:
            key = previous_key  # blank under a problem: the same problem
        else:
            issues.append(
                PlanIssue(
                    cells.get("反馈问题", f"{ref}!A{r}"), "反馈问题", "is empty (no problem above it either)"
                )
            )
            key = f"row{r}"
        previous_key = key
        if "序号" in columns and not _blank(values["序号"]):
            origin = origins.get((r, columns["序号"]), (r, columns["序号"]))
            serial = _norm(values["序号"])
            if serial in serials and serials[serial] != f"{origin}":
                issues.append(PlanIssue(cells["序号"], "序号", f"{serial} appears twice"))
            serials.setdefault(serial, f"{origin}")
        if "措施编号" in columns and not _blank(values["措施编号"]):
            code = str(values["措施编号"]).strip()
            if code in codes:
                issues.append(
                    PlanIssue(cells["措施编号"], "措施编号", f"'{code}' appears twice (also {codes[code]})")
                )
            codes.setdefault(code, cells["措施编号"])
        rows.append(SheetRow(r, cells, values, key))
    if not rows and not issues:
        issues.append(PlanIssue(f"{ref}!A{header_row + 1}", "整改措施", "the sheet has no measure rows"))
    return LedgerSheet(
        source, sheet.title, header_row, columns, rows, _round_from_notes(workbook), ignored, issues
    )


def _blank(value: Any) -> bool:
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


# -- import: matching against the ledger --------------------------------------------------------


@dataclass
class LedgerImport:
    """A workbook turned into the round's plan, with where each plan field came from."""

    sheet: LedgerSheet
    plan: PlanDocument | None
    cells: dict[tuple[int, int], SheetRow]  # (problem index, measure index) → row

    def where(self, path: Sequence[str | int]) -> str:
        """A plan path (problems.2.measures.0.lead_unit) as the cell it came from."""
        if len(path) >= 4 and path[0] == "problems" and path[2] == "measures":
            row = self.cells.get((int(path[1]), int(path[3])))
            if row is not None:
                column = FIELD_COLUMNS.get(str(path[4]) if len(path) > 4 else "", "整改措施")
                return (
                    row.cells.get(column)
                    or row.cells.get("整改措施")
                    or f"{_sheet_ref(self.sheet.sheet)}!A{row.row}"
                )
        if len(path) >= 2 and path[0] == "problems":
            for (p, _m), row in self.cells.items():
                if p == int(path[1]):
                    return row.cells.get("反馈问题", f"{_sheet_ref(self.sheet.sheet)}!A{row.row}")
        return f"{self.sheet.source} ({'.'.join(str(p) for p in path)})"

    def relabel(self, issues: Sequence[PlanIssue]) -> list[PlanIssue]:
        """Issues from the plan checks, their field named by the sheet's column (措施编号, not problems[4]…)."""
        relabelled = []
        for issue in issues:
            match = re.search(r"measures\[\d+\]\.(\w+)", issue.field)
            if match and "!" in issue.where:
                issue = PlanIssue(issue.where, FIELD_COLUMNS.get(match.group(1), "整改措施"), issue.message)
            elif issue.field.startswith("problems") and "!" in issue.where:
                issue = PlanIssue(issue.where, "反馈问题", issue.message)
            relabelled.append(issue)
        return relabelled


FIELD_COLUMNS = {
    "lead_unit": "责任单位",
    "co_units": "配合单位",
    "leader": "责任领导",
    "deadline": "完成时限",
    "status": "状态",
    "code": "措施编号",
    "text": "整改措施",
    "marker": "整改措施",
}


class _Names:
    """Units or contacts found by code or by name; ambiguous names are errors."""

    def __init__(self, pairs: list[tuple[str, list[str]]]) -> None:
        self.codes = {code for code, _ in pairs}
        self.by_name: dict[str, set[str]] = {}
        for code, names in pairs:
            for name in names:
                if name:
                    self.by_name.setdefault(_norm(name), set()).add(code)

    def find(
        self, text: str, prefer: set[str] | frozenset[str] = frozenset()
    ) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not); a name shared by several resolves to the one in ``prefer``."""
        if text in self.codes:
            return text, None
        found = self.by_name.get(_norm(text), set())
        if len(found) > 1 and len(found & prefer) == 1:
            found = found & prefer
        if len(found) == 1:
            return next(iter(found)), None
        if found:
            return None, f"'{text}' names several: {', '.join(sorted(found))} (write the code)"
        return None, f"'{text}' is not a known"


def ledger_to_plan(session: Session, sheet: LedgerSheet, round_code: str) -> LedgerImport:
    """Match the sheet's rows to the round's ledger; raise ``InvalidPlan`` with every cell-addressed error."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from models.tables import Contact, Measure, Unit
    from tasks.ledger.plan_export import plan_document
    from tasks.ledger.plan_schema import PlanDocument, issues_from_validation

    try:
        current = plan_document(session, round_code)
    except UnknownRound:
        raise InvalidPlan(
            [PlanIssue(sheet.source, "round", f"no round '{round_code}': load its plan or notice first")],
            sheet.source,
        ) from None
    issues = list(sheet.issues)
    units = _Names([(u.code, [u.name]) for u in session.scalars(select(Unit))])
    contacts = _Names([(c.code, [c.person, c.role]) for c in session.scalars(select(Contact))])
    existing = {m.code: m for p in current.problems for m in p.measures}
    all_codes = set(session.scalars(select(Measure.code)))

    def resolve(names: _Names, text: str, cell: str, column: str, kind: str, prefer: set[str]) -> str | None:
        code, why = names.find(text, prefer)
        if why:
            suffix = f" {kind} (by name or code)" if why.endswith("a known") else ""
            issues.append(PlanIssue(cell, column, why + suffix))
        return code

    groups: list[list[SheetRow]] = []
    keys: list[Any] = []
    for row in sheet.rows:
        if not keys or keys[-1] != row.problem_key:
            keys.append(row.problem_key)
            groups.append([])
        groups[-1].append(row)

    by_title = {p.title: p for p in current.problems}
    problems: list[dict[str, Any]] = []
    cells: dict[tuple[int, int], SheetRow] = {}
    for p_index, group in enumerate(groups):
        head = group[0]
        text = str(head.values.get("反馈问题") or "").strip()
        title, description = _split_problem(text)
        if not title:
            issues.append(PlanIssue(head.cells.get("反馈问题", ""), "反馈问题", "is empty"))
        known = by_title.get(title)
        if known is None and p_index < len(current.problems):
            candidate = current.problems[p_index]
            if candidate.title not in {
                _split_problem(str(g[0].values.get("反馈问题") or ""))[0] for g in groups
            }:
                known = candidate
        measures: list[dict[str, Any]] = []
        for m_index, row in enumerate(group):
            cells[(p_index, m_index)] = row
            measures.append(_measure_from_row(row, existing, resolve, units, contacts, issues))
        problems.append(
            {
                "title": title or "?",
                "description": description or (known.description if known else ""),
                "outcome_lead_in": known.outcome_lead_in if known else "",
                "measures": measures,
            }
        )
    _match_uncoded(problems, current)
    _assign_codes(problems, existing, all_codes)
    result = LedgerImport(sheet, None, cells)
    if not issues:
        try:
            result.plan = PlanDocument.model_validate({"round": current.round, "problems": problems})
        except ValidationError as error:
            issues.extend(result.relabel(issues_from_validation(error, result.where)))
    if issues or result.plan is None:
        raise InvalidPlan(issues, sheet.source)
    return result


def _split_problem(text: str) -> tuple[str, str]:
    from tasks.exchange.notice_parser import _split_title

    body = PROBLEM_PREFIX.sub("", text.strip(), count=1)
    return _split_title(body) if body else ("", "")


def _measure_from_row(
    row: SheetRow,
    existing: dict[str, Any],
    resolve: Callable[[_Names, str, str, str, str, set[str]], str | None],
    units: _Names,
    contacts: _Names,
    issues: list[PlanIssue],
) -> dict[str, Any]:
    values, cells = row.values, row.cells
    code = str(values.get("措施编号") or "").strip() or None
    old = existing.get(code) if code else None
    # A name several units share resolves to the one the measure already has.
    held_units = {old.lead_unit, *old.co_units} - {None} if old is not None else set()
    held_leader = {old.leader} - {None} if old is not None else set()
    measure: dict[str, Any] = {"code": code}
    text = str(values.get("整改措施") or "").strip()
    if not text:
        issues.append(PlanIssue(cells.get("整改措施", ""), "整改措施", "is empty"))
    marker_match = MARKER_AT_START.match(text)
    measure["marker"] = marker_match.group("marker") if marker_match else ""
    measure["text"] = text[marker_match.end() :] if marker_match else text

    unit_text = str(values.get("责任单位") or "").strip()
    if unit_text:
        measure["lead_unit"] = resolve(units, unit_text, cells["责任单位"], "责任单位", "unit", held_units)
    else:
        measure["lead_unit"] = None  # apply_plan refuses it unless unassigned measures are allowed
    co_text = str(values.get("配合单位") or "").strip()
    co_units = []
    for name in (n.strip() for n in LIST_SPLIT.split(co_text) if n.strip()):
        found = resolve(units, name, cells["配合单位"], "配合单位", "unit", held_units)
        if found and found not in co_units:
            co_units.append(found)
    measure["co_units"] = co_units
    leader_text = str(values.get("责任领导") or "").strip()
    measure["leader"] = (
        resolve(contacts, leader_text, cells["责任领导"], "责任领导", "contact", held_leader)
        if leader_text
        else None
    )

    deadline = values.get("完成时限")
    if _blank(deadline):
        issues.append(
            PlanIssue(cells.get("完成时限", ""), "完成时限", "is empty (a date, N个工作日 or 长期坚持)")
        )
    else:
        try:
            measure["deadline"] = parse_deadline_cell(deadline)
        except ValueError as error:
            issues.append(PlanIssue(cells["完成时限"], "完成时限", str(error)))
    status_text = _norm(values.get("状态"))
    if status_text:
        status = STATUS_BY_LABEL.get(status_text)
        if status is None:
            allowed = "、".join(STATUS_LABEL.values())
            issues.append(PlanIssue(cells["状态"], "状态", f"'{values.get('状态')}' is not one of {allowed}"))
        measure["status"] = status
    if old is not None:
        measure["cadence"] = old.cadence
    return measure


def _match_uncoded(problems: list[dict[str, Any]], current: PlanDocument) -> None:
    """Rows without 措施编号 take the code of an unclaimed measure of the round: same text, else same place."""
    claimed = {m["code"] for p in problems for m in p["measures"] if m["code"]}
    by_text: dict[str, list[str]] = {}
    by_place: dict[tuple[int, int], str] = {}
    for p_index, problem in enumerate(current.problems):
        for m_index, spec in enumerate(problem.measures):
            if spec.code not in claimed:
                by_text.setdefault(spec.marker + spec.text, []).append(spec.code)
                by_place[(p_index, m_index)] = spec.code
    uncoded = [
        (p, m, measure) for p, problem in enumerate(problems) for m, measure in enumerate(problem["measures"])
    ]
    uncoded = [item for item in uncoded if not item[2]["code"]]
    for _p, _m, measure in uncoded:
        codes = [c for c in by_text.get(measure["marker"] + measure["text"], []) if c not in claimed]
        if codes:
            measure["code"] = codes[0]
            claimed.add(codes[0])
    for p, m, measure in uncoded:
        code = by_place.get((p, m))
        if not measure["code"] and code and code not in claimed:
            measure["code"] = code
            claimed.add(code)


def _assign_codes(problems: list[dict[str, Any]], existing: dict[str, Any], all_codes: set[str]) -> None:
    """New rows get PREFIX-<problem>-<n>, PREFIX taken from the round's codes (XH-01-1 → XH)."""
    prefixes = [m.group(1) for code in existing if (m := re.match(r"^(.*)-\d{2}-\d+$", code))]
    prefix = max(set(prefixes), key=prefixes.count) if prefixes else "M"
    taken = set(all_codes) | {m["code"] for p in problems for m in p["measures"] if m["code"]}
    for p_index, problem in enumerate(problems, start=1):
        for m_index, measure in enumerate(problem["measures"], start=1):
            if measure["code"]:
                continue
            n = m_index
            candidate = f"{prefix}-{p_index:02d}-{n}"
            while candidate in taken:
                n += 1
                candidate = f"{prefix}-{p_index:02d}-{n}"
            measure["code"] = candidate
            taken.add(candidate)


def import_ledger(
    database: Database,
    source: str | Path | bytes,
    *,
    round_code: str | None = None,
    allow_unassigned: bool = False,
    calendar: WorkingCalendar | None = None,
    now: datetime | None = None,
    name: str | None = None,
) -> tuple[LedgerImport, PlanChanges]:
    """Validate a 台账 workbook against the round and load it in one transaction: all of it, or nothing."""
    from tasks.ledger.plan_load import apply_plan

    label = name or ("workbook" if isinstance(source, bytes) else str(source))
    sheet = read_ledger_sheet(open_workbook(source), label)
    code = round_code or sheet.round_code
    if code is None:
        raise InvalidPlan(
            [
                *sheet.issues,
                PlanIssue(
                    label, "round", f"the workbook names no round ({NOTES_SHEET}!{ROUND_KEY}): pass --round"
                ),
            ],
            label,
        )
    if round_code and sheet.round_code and round_code != sheet.round_code:
        issue = PlanIssue(
            f"{NOTES_SHEET}!B1", ROUND_KEY, f"the workbook is round '{sheet.round_code}', not '{round_code}'"
        )
        raise InvalidPlan([*sheet.issues, issue], label)
    if not sheet.columns:
        raise InvalidPlan(sheet.issues, label)
    with database.unit_of_work() as session:
        result = ledger_to_plan(session, sheet, code)
        assert result.plan is not None
        try:
            changes = apply_plan(
                session,
                result.plan,
                where=result.where,
                calendar=calendar,
                allow_unassigned=allow_unassigned,
                actor=f"ledger import {Path(label).name}",
                now=now,
            )
        except InvalidPlan as error:
            raise InvalidPlan(result.relabel(error.issues), label) from None
        session.commit()
    return result, changes
