"""The desk's tables as Excel workbooks: the overview (counts, units, the measures the filters keep, and with
``state=escalated_today`` the escalation steps recorded today), the review desk (done claims, extension
requests, closed measures) and the delivery log of a day.

A text cell is always text: one starting with ``=`` is stored as a string, never a formula.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from models.clock import Clock
from models.measure_view import MeasureView
from models.rules import LIGHT_LABEL, STATE_LABEL, STATUS_LABEL
from tasks.reports.desk import STATES, Claim, ExtensionItem, Overview

UNIT_HEADERS = (
    "单位",
    "牵头",
    "配合",
    "已完成",
    "逾期",
    "未按期报送",
    "绿灯",
    "黄灯",
    "红灯",
    "督办",
    "最近报送",
    "成员",
)
MEASURE_HEADERS = (
    "措施",
    "问题",
    "内容",
    "牵头单位",
    "配合单位",
    "完成时限",
    "状态",
    "进展",
    "灯",
    "最近报送",
)

ESCALATION_HEADERS = ("措施", "内容", "督办", "牵头单位", "时间")


def _append(sheet: Any, values: tuple[Any, ...] | list[Any]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def overview_workbook(overview: Overview, clock: Clock) -> bytes:
    """The workbook's bytes: 总览 (counts and 完成率), 各单位, 措施清单 (after the filters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    def when(moment: Any) -> str:
        return _when(clock, moment)

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "总览"
    _append(sheet, (f"{overview.round_code} 整改总览（截至{overview.today.isoformat()}）",))
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, ("问题", overview.problems))
    for key, label in STATES.items():  # the counts, then the "today" panel's 新增逾期 and 今日督办
        _append(sheet, (label, overview.counts[key]))
    _append(sheet, ("完成率（%）", float(overview.completion_rate)))
    if overview.filters:
        _append(sheet, ("筛选", "，".join(f"{k}={v}" for k, v in overview.filters.items())))

    units = workbook.create_sheet("各单位")
    _append(units, UNIT_HEADERS)
    for row in overview.units:
        _append(
            units,
            (
                row.name,
                row.lead,
                row.co,
                row.done,
                row.overdue,
                row.missing,
                row.lights["green"],
                row.lights["yellow"],
                row.lights["red"],
                row.escalation,
                when(row.last_report),
                "、".join(row.members),
            ),
        )

    measures = workbook.create_sheet("措施清单")
    _append(measures, MEASURE_HEADERS)
    for view in overview.measures:
        _append(
            measures,
            (
                view.code,
                view.problem_ordinal,
                view.measure_text,
                view.lead_unit or "",
                "、".join(view.co_units),
                view.deadline.isoformat() if view.deadline else "长期坚持",
                STATUS_LABEL[view.status],
                STATE_LABEL[view.state],
                LIGHT_LABEL[view.light],
                when(view.last_report_at),
            ),
        )
    sheets = [units, measures]
    if overview.filters.get("state") == "escalated_today":  # the list behind 今日督办: each step recorded
        steps = workbook.create_sheet("今日督办")
        _append(steps, ESCALATION_HEADERS)
        for step in overview.escalations:
            _append(steps, (step.code, step.measure_text, step.step, step.unit, when(step.at)))
        sheets.append(steps)
    _headed(*sheets)
    return _saved(workbook)


def _headed(*sheets: Any) -> None:
    from openpyxl.styles import Font

    for ws in sheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"


def _saved(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _when(clock: Clock, moment: Any) -> str:
    return f"{clock.local(moment):%Y-%m-%d %H:%M}" if moment else ""


CLAIM_HEADERS = ("措施", "内容", "牵头单位", "完成时限", "报送时间", "报送内容", "佐证材料", "SHA-256")
EXTENSION_HEADERS = ("编号", "措施", "内容", "申请单位", "原完成时限", "申请延至", "理由", "申请时间")
CLOSED_HEADERS = ("措施", "内容", "牵头单位", "完成时限", "最近报送")


def review_workbook(
    claims: Sequence[Claim], extensions: Sequence[ExtensionItem], closed: Sequence[MeasureView], clock: Clock
) -> bytes:
    """The review desk's bytes: 待销号 (each claim with its report and evidence), 延期申请, 已销号."""
    from datetime import datetime

    from openpyxl import Workbook

    def deadline(view: MeasureView) -> str:
        return view.deadline.isoformat() if view.deadline else "长期坚持"

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "待销号"
    _append(sheet, CLAIM_HEADERS)
    for claim in claims:
        report = claim.report or {}
        evidence = report.get("evidence") or []
        submitted = report.get("submitted_at")
        _append(
            sheet,
            (
                claim.view.code,
                claim.view.measure_text,
                claim.view.lead_unit or "",
                deadline(claim.view),
                _when(clock, datetime.fromisoformat(submitted)) if submitted else "",
                report.get("text") or "",
                "、".join(e["filename"] for e in evidence),
                " ".join(e["sha256"] for e in evidence),
            ),
        )
    requests = workbook.create_sheet("延期申请")
    _append(requests, EXTENSION_HEADERS)
    for item in extensions:
        _append(
            requests,
            (
                item.id,
                item.measure,
                item.measure_text,
                item.unit,
                item.original.isoformat() if item.original else "长期坚持",
                item.requested.isoformat(),
                item.reason,
                _when(clock, item.requested_at),
            ),
        )
    done = workbook.create_sheet("已销号")
    _append(done, CLOSED_HEADERS)
    for view in closed:
        _append(
            done,
            (
                view.code,
                view.measure_text,
                view.lead_unit or "",
                deadline(view),
                _when(clock, view.last_report_at),
            ),
        )
    _headed(sheet, requests, done)
    return _saved(workbook)


MESSAGE_HEADERS = ("编号", "状态", "时间", "类别", "措施", "单位", "接收人", "渠道", "标题", "错误")


def messages_workbook(rows: Sequence[Mapping[str, Any]], day: date, clock: Clock) -> bytes:
    """The delivery log of a day: one row per message, as the desk's messages page shows it (masked)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"消息{day.isoformat()}"
    _append(sheet, MESSAGE_HEADERS)
    for row in rows:
        _append(
            sheet,
            (
                row["id"],
                row["status"],
                _when(clock, row["at"]),
                row["kind"],
                row["measure"] or "",
                row["unit"] or "",
                row["recipient"],
                row["channel"],
                row["title"],
                row["error"],
            ),
        )
    _headed(sheet)
    return _saved(workbook)


CHECK_HEADERS = (
    "措施",
    "问题",
    "内容",
    "责任单位",
    "责任领导",
    "完成时限",
    "检查频次",
    "催办提醒（到期前工作日）",
    "状态",
)
CONTACT_HEADERS = (
    "单位",
    "联系人",
    "职务",
    "代码",
    "接收地址（已隐去口令）",
    "每分钟上限",
    "发送方式",
    "接收的消息",
)
DUBAN_HEADERS = ("编号", "等级", "措施", "单位", "签发日期", "回复时限", "签收", "回复")


def checks_workbook(rows: Sequence[Any]) -> bytes:
    """The recurring checks and deadlines of a round (``tasks.ledger.desk_measures.CheckRow``), as listed."""
    return _table(
        "定期检查与完成时限",
        CHECK_HEADERS,
        (
            (
                r.code,
                r.problem,
                f"{r.marker}{r.text}",
                r.lead_unit,
                r.leader,
                r.deadline_spec,
                r.cadence or (f"{r.effective}（本轮默认）" if r.effective else ""),
                "、".join(map(str, r.reminders)) if r.reminders is not None else "按系统设置",
                STATUS_LABEL.get(r.status, r.status),
            )
            for r in rows
        ),
    )


def contacts_workbook(units: Sequence[Any], loose: Sequence[Any]) -> bytes:
    """The contacts as the desk lists them (``tasks.notify.contacts``): one row per URL, masked."""
    lines = []
    for unit_name, contacts in [*((u.name, u.contacts) for u in units), ("（单位以外）", loose)]:
        for c in contacts:
            for url in c.urls or [None]:
                lines.append(
                    (
                        unit_name,
                        c.person,
                        c.role,
                        c.code,
                        url.masked if url else "未登记接收地址",
                        (url.per_minute or "不限") if url else "",
                        "每日汇总" if c.digest == "daily" else "逐条发送",
                        "；".join(c.receives),
                    )
                )
    return _table("联系人", CONTACT_HEADERS, lines)


def duban_workbook(sheets: Sequence[Any], clock: Clock) -> bytes:
    """Every 督办单 with its 签收 and replies (``tasks.reports.duban.SheetStanding``), newest first."""

    def replies(sheet: Any) -> str:
        return "\n".join(
            f"{_when(clock, r.at)} {r.unit}（{r.actor}）"
            + (f"：见第{r.report_id}号报告" if r.report_id else "")
            + (f"：{r.text}" if r.text else "")
            for r in sheet.replies
        )

    return _table(
        "督办单",
        DUBAN_HEADERS,
        (
            (
                s.facts.number,
                s.colour,
                s.facts.measure_code,
                s.facts.unit,
                s.facts.issued_on,
                s.facts.reply_by,
                f"{_when(clock, s.acknowledged.at)} {s.acknowledged.actor}" if s.acknowledged else "未签收",
                replies(s) or "未回复",
            )
            for s in sheets
        ),
    )


def _table(title: str, headers: tuple[str, ...], rows: Any) -> bytes:
    """One sheet: the headers in bold, frozen, then the rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    _append(sheet, headers)
    for row in rows:
        _append(sheet, row)
    _headed(sheet)
    return _saved(workbook)
