"""A 台账 workbook read back into the round's ledger (see ``tasks.exchange.excel_sheet`` for its layout).

Import reads the columns a coordinator edits (反馈问题, 整改措施, 责任领导, 责任单位, 配合单位, 完成时限, 状态);
整改进展（最新） and 红黄绿灯 are derived from reports and never read back. What the sheet does not show
(the round's facts, cadences, lead-ins, units and contacts) stays as the ledger holds it. Everything is
validated first; every error names its cell (``整改台账!G12``) and nothing is written on any error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.enums import MeasureStatus
from models.errors import InvalidPlan, PlanIssue, UnknownRound
from models.measure_codes import round_code_prefix
from models.rules import STATUS_LABEL
from tasks.exchange.excel_sheet import (
    NOTES_SHEET,
    ROUND_KEY,
    LedgerSheet,
    SheetRow,
    is_blank,
    open_workbook,
    parse_deadline_cell,
    plain_text,
    read_ledger_sheet,
    sheet_ref,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.clock import Clock
    from tasks.ledger.plan_schema import PlanChanges, PlanDocument, ProblemSpec

STATUS_BY_LABEL = {label: status for status, label in STATUS_LABEL.items()} | {
    s.value: s for s in MeasureStatus
}
MARKER_AT_START = re.compile(r"^(?P<marker>[一二三四五六七八九十]{1,3}(?:是|要))(?=\S)")
PROBLEM_PREFIX = re.compile(
    r"^\s*(?:[一二三四五六七八九十百]+\s*[、.．]|\d+\s*[、.．]|[（(][一二三四五六七八九十\d]+[）)])\s*"
)
LIST_SPLIT = re.compile(r"[、，,；;/\n]+")


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
                    or f"{sheet_ref(self.sheet.sheet)}!A{row.row}"
                )
        if len(path) >= 2 and path[0] == "problems":
            for (p, _m), row in self.cells.items():
                if p == int(path[1]):
                    return row.cells.get("反馈问题", f"{sheet_ref(self.sheet.sheet)}!A{row.row}")
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
                    self.by_name.setdefault(plain_text(name), set()).add(code)

    def find(
        self, text: str, prefer: set[str] | frozenset[str] = frozenset()
    ) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not); a name shared by several resolves to the one in ``prefer``."""
        if text in self.codes:
            return text, None
        found = self.by_name.get(plain_text(text), set())
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

    groups = _problem_groups(sheet.rows)
    titles = {_split_problem(str(g[0].values.get("反馈问题") or ""))[0] for g in groups}
    problems: list[dict[str, Any]] = []
    cells: dict[tuple[int, int], SheetRow] = {}
    for p_index, group in enumerate(groups):
        head = group[0]
        title, description = _split_problem(str(head.values.get("反馈问题") or "").strip())
        if not title:
            issues.append(PlanIssue(head.cells.get("反馈问题", ""), "反馈问题", "is empty"))
        known = _known_problem(current, title, p_index, titles)
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


def _problem_groups(rows: list[SheetRow]) -> list[list[SheetRow]]:
    """Consecutive rows of one problem, in sheet order."""
    groups: list[list[SheetRow]] = []
    for row in rows:
        if not groups or groups[-1][0].problem_key != row.problem_key:
            groups.append([])
        groups[-1].append(row)
    return groups


def _known_problem(current: PlanDocument, title: str, index: int, titles: set[str]) -> ProblemSpec | None:
    """The ledger's problem a sheet problem is: the one with its title, else the one at its place whose
    title the sheet no longer shows (a retitled problem keeps its description and lead-in)."""
    for problem in reversed(current.problems):  # the last of a repeated title, as a mapping by title keeps
        if problem.title == title:
            return problem
    if index < len(current.problems) and current.problems[index].title not in titles:
        return current.problems[index]
    return None


def _split_problem(text: str) -> tuple[str, str]:
    from tasks.exchange.notice_parser import split_title

    body = PROBLEM_PREFIX.sub("", text.strip(), count=1)
    return split_title(body) if body else ("", "")


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
    if is_blank(deadline):
        issues.append(
            PlanIssue(cells.get("完成时限", ""), "完成时限", "is empty (a date, N个工作日 or 长期坚持)")
        )
    else:
        try:
            measure["deadline"] = parse_deadline_cell(deadline)
        except ValueError as error:
            issues.append(PlanIssue(cells["完成时限"], "完成时限", str(error)))
    status_text = plain_text(values.get("状态"))
    if status_text:
        status = STATUS_BY_LABEL.get(status_text)
        if status is None:
            allowed = "、".join(STATUS_LABEL.values())
            issues.append(PlanIssue(cells["状态"], "状态", f"'{values.get('状态')}' is not one of {allowed}"))
        measure["status"] = status
    if old is not None:  # what the sheet has no column for stays as the ledger holds it
        measure["cadence"] = old.cadence
        measure["reminders"] = old.reminders
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
    prefix = round_code_prefix(list(existing))
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
    session: Session,
    source: str | Path | bytes,
    clock: Clock,
    *,
    round_code: str | None = None,
    allow_unassigned: bool = False,
    name: str | None = None,
    take_plan: Collection[str] = (),
    allow_removals: bool = False,
) -> tuple[LedgerImport, PlanChanges]:
    """Validate a 台账 workbook against the round and bring the round's ledger to it, as of the clock's now.

    Every error names its cell; the caller commits what returns, so a workbook is loaded whole or not at all.
    """
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
    result = ledger_to_plan(session, sheet, code)
    assert result.plan is not None
    try:
        changes = apply_plan(
            session,
            result.plan,
            clock,
            where=result.where,
            allow_unassigned=allow_unassigned,
            actor=f"ledger import {Path(label).name}",
            take_plan=take_plan,
            allow_removals=allow_removals,
        )
    except InvalidPlan as error:
        raise InvalidPlan(result.relabel(error.issues), label) from None
    return result, changes
