"""A parsed notice as a plan and its reports, and loading both into the ledger.

``notice_to_plan`` builds the plan (round, problems, measures without owners) that ``tasks.ledger.plan_load``
loads, with one report per measure (the measure's text as published, dated by the caller);
``load_notice`` loads the plan and records the reports in one transaction.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models.errors import InvalidPlan, PlanIssue
from tasks.exchange.notice_parser import ParsedNotice, Unplaced, parse_notice

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.clock import Clock
    from tasks.ledger.plan_schema import PlanChanges, PlanDocument


CONTACT_START_RE = re.compile(
    r"联系电话|举报电话|电话[：:]|邮政信箱|通信地址|通讯地址|来信地址|邮政编码|电子邮箱|电子信箱"
)


@dataclass
class NoticeImport:
    """A parsed notice as a plan, with one report per measure and what a coordinator must still do."""

    source: str
    notice: ParsedNotice
    plan: PlanDocument
    reports: list[dict[str, Any]]  # items of a reports file (docs/plan-format.md)
    unassigned: list[str]  # measure codes without an owner unit

    @property
    def leftovers(self) -> list[Unplaced]:
        """Unplaced lines and warnings, in line order: what ``--strict`` refuses."""
        return sorted([*self.notice.unplaced, *self.notice.warnings], key=lambda u: u.line)

    def strict_issues(self) -> list[PlanIssue]:
        return [PlanIssue(f"{self.source}:{u.line}", "", f"{u.reason}: {u.text}") for u in self.leftovers]

    def plan_yaml(self) -> str:
        """The plan as YAML, headed by comments listing unassigned measures and unplaced lines."""
        from tasks.ledger.plan_export import dump_plan

        head = [f"# Imported from {self.source} by `zhenggai import notice`."]
        if self.unassigned:
            head.append(
                "# Owners are not stated in the notice: fill in lead_unit (and units:) for these measures,"
            )
            head.append("# or load with `zhenggai plan load --allow-unassigned`:")
            head.extend("#   " + line for line in textwrap.wrap(", ".join(self.unassigned), 100))
        if self.leftovers:
            head.append("# Not placed (line: reason: text):")
            head.extend(f"#   {u.line}: {u.reason}: {u.text}" for u in self.leftovers)
        return "\n".join(head) + "\n" + dump_plan(self.plan)

    def reports_yaml(self) -> str:
        """The reports as a reports file (``zhenggai report load``)."""
        import yaml

        data = {"round": self.plan.round.code, "reports": self.reports}
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _default_round_code(source: str, notice: ParsedNotice) -> str:
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", stem) and stem.lower() not in {
        "notice",
        "stdin",
        "-",
    }:
        return stem
    if notice.feedback_date:
        return f"notice-{notice.feedback_date:%Y%m%d}"
    return "notice"


def _notice_options(notice: ParsedNotice, round_spec: dict[str, Any]) -> dict[str, Any]:
    """Template options under which the notice generator prints this notice's fixed parts as published."""
    from models.notice import DEFAULT_CLOSING, DEFAULT_TITLE, NOTICE_LABELS, RoundInfo, build_preamble

    options: dict[str, Any] = {}
    labels = notice.labels
    if len(labels) == 1 and labels[0] in NOTICE_LABELS and labels[0] != "整改成效":
        options["label"] = labels[0]
    if notice.title and notice.title != DEFAULT_TITLE:
        options["title"] = notice.title
    info = RoundInfo(
        code=round_spec["code"],
        inspected_org=round_spec["inspected_org"],
        inspecting_body=round_spec["inspecting_body"],
        inspection_start=round_spec["inspection_start"],
        inspection_end=round_spec["inspection_end"],
        feedback_date=round_spec["feedback_date"],
        inspected_short=round_spec["inspected_short"],
        feedback_recipient=round_spec["feedback_recipient"],
        inspection_kind=round_spec["inspection_kind"],
    )
    if notice.preamble and notice.preamble != build_preamble(info):
        options["preamble"] = notice.preamble
    start = CONTACT_START_RE.search(notice.closing)
    closing = notice.closing[: start.start()] if start else notice.closing
    if closing.strip() and closing != DEFAULT_CLOSING:
        options["closing"] = closing
    placement = notice.statistics.get("placement")
    if placement in ("preamble", "before_problems"):
        options["statistics"] = "after_preamble"
    elif placement == "after_problems":
        options["statistics"] = "before_closing"
    if notice.signature and notice.notice_date is None:
        options["date"] = False
    return options


def notice_to_plan(
    notice: ParsedNotice,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
) -> NoticeImport:
    """Build the plan (round, problems, unassigned measures) and one report per measure, dated ``reported_on``.

    Raises ``InvalidPlan`` when the notice lacks what a round needs (inspecting body, dates).
    """
    from datetime import time
    from zoneinfo import ZoneInfo

    from pydantic import ValidationError

    from tasks.ledger.plan_schema import PlanDocument, issues_from_validation

    code = round_code or _default_round_code(source, notice)
    prefix = code_prefix or code
    preamble_where = f"{source}:{notice.preamble_line or 1}"
    missing = [
        name
        for name in ("inspecting_body", "inspection_start", "inspection_end", "feedback_date")
        if getattr(notice, name) is None
    ]
    issues = [PlanIssue(preamble_where, f"round.{name}", "not found in the preamble") for name in missing]
    if not notice.issuing_org:
        issues.append(PlanIssue(f"{source}:1", "round.inspected_org", "no issuing organisation line"))
    if issues:
        raise InvalidPlan(issues, source)
    round_spec: dict[str, Any] = {
        "code": code,
        "title": f"{notice.inspecting_body}{notice.inspection_kind or '常规巡察'}反馈问题整改",
        "inspected_org": notice.issuing_org,
        "inspected_short": notice.inspected_short or "我局",
        "feedback_recipient": notice.feedback_recipient or "我局党组",
        "inspecting_body": notice.inspecting_body,
        "inspection_kind": notice.inspection_kind or "常规巡察",
        "inspection_start": notice.inspection_start,
        "inspection_end": notice.inspection_end,
        "feedback_date": notice.feedback_date,
        "contact": notice.contact.as_dict(),
        "signature": notice.signature,
    }
    round_spec["notice"] = _notice_options(notice, round_spec)
    round_spec["statistics"] = {k: v for k, v in notice.statistics.items() if k != "placement"}
    problems: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    unassigned: list[str] = []
    submitted = datetime.combine(reported_on, time(0, 0), tzinfo=ZoneInfo(timezone))
    period = (
        f"{notice.feedback_date.isoformat()}..{reported_on.isoformat()}"
        if notice.feedback_date and notice.feedback_date <= reported_on
        else None
    )
    for problem in notice.problems:
        measures = []
        for ordinal, measure in enumerate(problem.measures, start=1):
            measure_code = f"{prefix}-{problem.ordinal:02d}-{ordinal}"
            measures.append(
                {"code": measure_code, "marker": measure.marker, "text": measure.text, "lead_unit": None}
            )
            unassigned.append(measure_code)
            report: dict[str, Any] = {"measure": measure_code, "submitted_at": submitted.isoformat()}
            if period:
                report["period"] = period
            report.update({"author": notice.issuing_org, "status": "in_progress", "text": measure.text})
            reports.append(report)
        problems.append(
            {
                "title": problem.title,
                "description": problem.description,
                "outcome_lead_in": problem.outcome_lead_in,
                "measures": measures,
            }
        )
    try:
        plan = PlanDocument.model_validate({"round": round_spec, "problems": problems})
    except ValidationError as error:
        raise InvalidPlan(issues_from_validation(error, lambda path: source), source) from None
    return NoticeImport(source, notice, plan, reports, unassigned)


def import_notice_text(
    text: str,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
    strict: bool = False,
) -> NoticeImport:
    """Parse a notice and build its plan; with ``strict`` any unplaced line or warning is an ``InvalidPlan``."""
    result = notice_to_plan(
        parse_notice(text),
        source=source,
        round_code=round_code,
        code_prefix=code_prefix,
        reported_on=reported_on,
        timezone=timezone,
    )
    if strict and result.leftovers:
        raise InvalidPlan(result.strict_issues(), source)
    return result


@dataclass
class NoticeLoaded:
    """What loading an imported notice did."""

    changes: PlanChanges
    reports_recorded: int
    reports_already_recorded: int


def _report_issue(source: str, measure: str, field: str, message: str) -> PlanIssue:
    return PlanIssue(source, f"report {measure}", f"{field}: {message}")


def load_notice(session: Session, result: NoticeImport, clock: Clock) -> NoticeLoaded:
    """Load the plan (unassigned measures allowed) and record its reports, as of the clock's now.

    The caller commits what returns, so the notice is loaded whole or not at all.
    """
    from tasks.ledger.plan_load import apply_plan
    from tasks.reports.record import (
        FileReport,
        ReportInput,
        file_report_key,
        parse_period,
        record_file_reports,
    )

    actor = f"import notice {result.source.rsplit('/', 1)[-1]}"
    try:
        changes = apply_plan(
            session,
            result.plan,
            clock,
            where=lambda path: f"{result.source} (plan {'.'.join(str(p) for p in path)})",
            allow_unassigned=True,
            actor=actor,
        )
    except InvalidPlan as error:
        raise InvalidPlan(error.issues, result.source) from None
    items = []
    for item in result.reports:
        submitted_at = datetime.fromisoformat(item["submitted_at"])
        start, end = parse_period(item.get("period"))
        data = ReportInput(
            measure=item["measure"],
            text=item["text"],
            claimed_status=item["status"],
            period_start=start,
            period_end=end,
            author=item["author"],
            submitted_at=submitted_at,
            idempotency_key=file_report_key(result.plan.round.code, item["measure"], submitted_at),
            source="import",
        )
        items.append(FileReport(data, partial(_report_issue, result.source, item["measure"])))
    loaded, issues = record_file_reports(session, items, actor=actor, clock=clock)
    if issues:
        raise InvalidPlan(issues, result.source)
    return NoticeLoaded(changes, loaded.recorded, loaded.already_recorded)
