"""A parsed notice as a plan and its reports, and loading both into the ledger.

``notice_to_plan`` builds the plan (round, problems, measures without owners) that ``tasks.ledger.plan_load``
loads, with one report per measure (the measure's text as published, dated by the caller);
``load_notice`` loads the plan and records the reports in one transaction.

A round needs facts some notices do not state (the inspection dates, the feedback date, the inspecting
body): the caller gives them (``RoundFacts``, the CLI's ``--feedback-date``…), else the plan is still
built, with those fields empty and listed in ``NoticeImport.missing``, and only loading it is refused.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from models.errors import InvalidPlan, PlanIssue
from tasks.exchange.notice_parser import ParsedNotice, ParsedProblem, Unplaced, parse_source
from tasks.exchange.notice_source import NoticeSource, read_text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.clock import Clock
    from tasks.ledger.plan_schema import PlanChanges, PlanDocument


CONTACT_START_RE = re.compile(
    r"联系电话|举报电话|监督电话|电话[：:]|联系方式|邮政信箱|通信地址|通讯地址|来信地址|邮政编码|电子邮箱|电子信箱"
)
# A ledger table's 整改情况 that says the problem is rectified: its measures' reports claim 'done'.
DONE_RE = re.compile(r"已(?:完成|整改|办结|销号)|^完成|整改完成|整改到位")
NOT_DONE_RE = re.compile(r"未|正在|推进中|持续|整改中")


@dataclass(frozen=True)
class RoundFacts:
    """Round facts the caller gives because the notice may not state them (None: take the notice's)."""

    inspected_org: str | None = None
    inspecting_body: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    feedback_date: date | None = None


# The option that gives each fact on the command line, and what it is.
FACT_OPTIONS = {
    "inspected_org": ("--issuer", "TEXT", "the issuing organisation"),
    "inspecting_body": ("--inspecting-body", "TEXT", "the inspecting body"),
    "inspection_start": ("--inspection-start", "YYYY-MM-DD", "the inspection's first day"),
    "inspection_end": ("--inspection-end", "YYYY-MM-DD", "the inspection's last day"),
    "feedback_date": ("--feedback-date", "YYYY-MM-DD", "the feedback date"),
}


def missing_fact_message(name: str) -> str:
    option, metavar, what = FACT_OPTIONS[name]
    return (
        f"{what} is not stated in the notice: give {option} {metavar} (or fill in round.{name} in the plan)"
    )


@dataclass
class NoticeImport:
    """A parsed notice as a plan, with one report per measure and what a coordinator must still do."""

    source: str
    notice: ParsedNotice
    plan: PlanDocument | None  # None while a round fact is missing (see ``missing``)
    plan_data: dict[str, Any]  # the plan as YAML data, with nulls where a fact is missing
    reports: list[dict[str, Any]]  # items of a reports file (docs/plan-format.md)
    unassigned: list[str]  # measure codes without an owner unit
    missing: list[str] = field(default_factory=list)  # round facts neither the notice nor the caller gave
    owners: dict[str, str] = field(default_factory=dict)  # measure code → 责任单位 a ledger table names
    replaced: dict[str, Any] = field(default_factory=dict)  # facts the caller gave over the notice's

    @property
    def round_code(self) -> str:
        return str(self.plan_data["round"]["code"])

    @property
    def leftovers(self) -> list[Unplaced]:
        """Unplaced lines and warnings, in the notice's order: what ``--strict`` refuses."""
        return sorted([*self.notice.unplaced, *self.notice.warnings], key=lambda u: u.position)

    def strict_issues(self) -> list[PlanIssue]:
        return [PlanIssue(u.position.where(self.source), "", f"{u.reason}: {u.text}") for u in self.leftovers]

    def missing_issues(self) -> list[PlanIssue]:
        where = (
            self.notice.preamble_position.where(self.source) if self.notice.preamble_position else self.source
        )
        return [PlanIssue(where, f"round.{name}", missing_fact_message(name)) for name in self.missing]

    def complete_plan(self) -> PlanDocument:
        """The plan, or ``InvalidPlan`` naming each missing round fact and the option that gives it."""
        if self.plan is None:
            raise InvalidPlan(self.missing_issues(), self.source)
        return self.plan

    def plan_yaml(self) -> str:
        """The plan as YAML, headed by comments: missing facts, unassigned measures, unplaced lines."""
        from tasks.ledger.plan_export import dump_plan_data

        head = [f"# Imported from {self.source} by `zhenggai import notice`."]
        for name in self.missing:
            head.append(f"# round.{name}: {missing_fact_message(name)}.")
        if self.unassigned:
            head.append(
                "# Owners are not stated in the notice: fill in lead_unit (and units:) for these measures,"
            )
            head.append("# or load with `zhenggai plan load --allow-unassigned`:")
            head.extend("#   " + line for line in textwrap.wrap(", ".join(self.unassigned), 100))
        if self.owners:
            head.append(
                "# 责任单位 as the notice's table names them (`--load` assigns those the ledger knows):"
            )
            by_unit: dict[str, list[str]] = {}
            for code, unit in self.owners.items():
                by_unit.setdefault(unit, []).append(code)
            head.extend(f"#   {unit}: {', '.join(codes)}" for unit, codes in by_unit.items())
        if self.leftovers:
            head.append("# Not placed (where: reason: text):")
            head.extend(f"#   {u}" for u in self.leftovers)
        return "\n".join(head) + "\n" + dump_plan_data(self.plan_data)

    def reports_yaml(self) -> str:
        """The reports as a reports file (``zhenggai report load``)."""
        import yaml

        data = {"round": self.round_code, "reports": self.reports}
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
    options.update(
        {name: getattr(notice, name) for name in ("masthead", "document_number") if getattr(notice, name)}
    )
    known = [round_spec[name] for name in FACT_OPTIONS]
    generated = None
    if all(value is not None for value in known):
        info = RoundInfo(
            **{name: round_spec[name] for name in ("code", *FACT_OPTIONS)},
            inspected_short=round_spec["inspected_short"],
            feedback_recipient=round_spec["feedback_recipient"],
            inspection_kind=round_spec["inspection_kind"],
        )
        generated = build_preamble(info)
    if notice.preamble and notice.preamble != generated:
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


def _round_spec(
    notice: ParsedNotice, code: str, given: RoundFacts
) -> tuple[dict[str, Any], list[str], dict[str, Any]]:
    """The round's fields, the facts still missing, and the notice's values the caller's replaced."""
    facts: dict[str, Any] = {"inspected_org": notice.issuing_org or None}
    facts.update({name: getattr(notice, name) for name in FACT_OPTIONS if name != "inspected_org"})
    replaced = {}
    for item in fields(given):
        value = getattr(given, item.name)
        if value is not None:
            if facts[item.name] not in (None, value):
                replaced[item.name] = facts[item.name]
            facts[item.name] = value
    kind = notice.inspection_kind or "常规巡察"
    owner = facts["inspecting_body"] or facts["inspected_org"] or ""
    spec: dict[str, Any] = {
        "code": code,
        "title": f"{owner}{kind}反馈问题整改",
        "inspected_org": facts["inspected_org"],
        "inspected_short": notice.inspected_short or "我局",
        "feedback_recipient": notice.feedback_recipient or "我局党组",
        "inspecting_body": facts["inspecting_body"],
        "inspection_kind": kind,
        "inspection_start": facts["inspection_start"],
        "inspection_end": facts["inspection_end"],
        "feedback_date": facts["feedback_date"],
        "contact": notice.contact.as_dict(),
        "signature": notice.signature,
    }
    spec["contact"].pop("person", None)  # the round keeps no contact person: it stays in the closing text
    return spec, [name for name in FACT_OPTIONS if facts[name] is None], replaced


def _report_status(problem: ParsedProblem) -> str:
    status = str((problem.ledger or {}).get("status", ""))
    return "done" if DONE_RE.search(status) and not NOT_DONE_RE.search(status) else "in_progress"


def _validated(
    data: dict[str, Any], missing: list[str], source: str
) -> tuple[PlanDocument | None, dict[str, Any]]:
    """The plan checked by its schema; while facts are missing, its data with nulls in their place."""
    from pydantic import ValidationError

    from tasks.ledger.plan_schema import PlanDocument, issues_from_validation

    # A missing fact is checked with a stand-in, so that everything else is checked now.
    stand_ins = {name: "?" if name in ("inspected_org", "inspecting_body") else date.min for name in missing}
    probe = {**data, "round": {**data["round"], **stand_ins}}
    try:
        plan = PlanDocument.model_validate(probe)
    except ValidationError as error:
        raise InvalidPlan(issues_from_validation(error, lambda path: source), source) from None
    dumped = plan.model_dump(mode="json")
    if not missing:
        return plan, dumped
    dumped["round"].update(dict.fromkeys(missing))
    return None, dumped


def notice_to_plan(
    notice: ParsedNotice,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
    given: RoundFacts | None = None,
) -> NoticeImport:
    """Build the plan (round, problems, unassigned measures) and one report per measure, dated ``reported_on``.

    Round facts the notice does not state come from ``given``; those still missing are listed in
    ``NoticeImport.missing`` (the plan is then ``None`` and its YAML holds nulls for them).
    """
    from datetime import time
    from zoneinfo import ZoneInfo

    code = round_code or _default_round_code(source, notice)
    prefix = code_prefix or code
    round_spec, missing, replaced = _round_spec(notice, code, given or RoundFacts())
    round_spec["notice"] = _notice_options(notice, round_spec)
    round_spec["statistics"] = {k: v for k, v in notice.statistics.items() if k != "placement"}
    problems: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    unassigned: list[str] = []
    owners: dict[str, str] = {}
    submitted = datetime.combine(reported_on, time(0, 0), tzinfo=ZoneInfo(timezone))
    feedback = round_spec["feedback_date"]
    period = (
        f"{feedback.isoformat()}..{reported_on.isoformat()}" if feedback and feedback <= reported_on else None
    )
    for problem in notice.problems:
        measures = []
        for ordinal, measure in enumerate(problem.measures, start=1):
            measure_code = f"{prefix}-{problem.ordinal:02d}-{ordinal}"
            measures.append(
                {
                    "code": measure_code,
                    "marker": measure.printed_marker,
                    "text": measure.text,
                    "lead_unit": None,
                }
            )
            unassigned.append(measure_code)
            if problem.ledger and problem.ledger.get("unit"):
                owners[measure_code] = problem.ledger["unit"]
            report: dict[str, Any] = {"measure": measure_code, "submitted_at": submitted.isoformat()}
            if period:
                report["period"] = period
            report["author"] = round_spec["inspected_org"] or "import"
            report.update({"status": _report_status(problem), "text": measure.text})
            reports.append(report)
        problems.append(
            {
                "title": problem.title,
                "description": problem.description,
                "outcome_lead_in": problem.outcome_lead_in,
                "measures": measures,
            }
        )
    plan, data = _validated({"round": round_spec, "problems": problems}, missing, source)
    return NoticeImport(source, notice, plan, data, reports, unassigned, missing, owners, replaced)


def import_notice(
    parsed_source: NoticeSource,
    *,
    source: str = "notice.txt",
    round_code: str | None = None,
    code_prefix: str | None = None,
    reported_on: date,
    timezone: str = "Asia/Shanghai",
    strict: bool = False,
    given: RoundFacts | None = None,
) -> NoticeImport:
    """Recognise a notice's line stream and build its plan; with ``strict`` any unplaced line or warning
    is an ``InvalidPlan``."""
    result = notice_to_plan(
        parse_source(parsed_source),
        source=source,
        round_code=round_code,
        code_prefix=code_prefix,
        reported_on=reported_on,
        timezone=timezone,
        given=given,
    )
    if strict and result.leftovers:
        raise InvalidPlan(result.strict_issues(), source)
    return result


def import_notice_text(text: str, *, source: str = "notice.txt", **options: Any) -> NoticeImport:
    """``import_notice`` on a plain-text notice."""
    return import_notice(read_text(text, source), source=source, **options)


@dataclass
class NoticeLoaded:
    """What loading an imported notice did."""

    changes: PlanChanges
    reports_recorded: int
    reports_already_recorded: int
    owners_assigned: list[str] = field(default_factory=list)  # measures given the unit the table named


def _report_issue(source: str, measure: str, field: str, message: str) -> PlanIssue:
    return PlanIssue(source, f"report {measure}", f"{field}: {message}")


def _with_known_owners(
    session: Session, plan: PlanDocument, owners: dict[str, str]
) -> tuple[PlanDocument, list[str]]:
    """The plan with each measure whose table row names a unit the ledger knows (one unit of that name)
    owned by it."""
    from sqlalchemy import select

    from models.tables import Unit

    names = set(owners.values())
    if not names:
        return plan, []
    codes: dict[str, list[str]] = {}
    for code, name in session.execute(select(Unit.code, Unit.name).where(Unit.name.in_(names))):
        codes.setdefault(name, []).append(code)
    plan = plan.model_copy(deep=True)
    assigned = []
    for problem in plan.problems:
        for measure in problem.measures:
            found = codes.get(owners.get(measure.code, ""), [])
            if measure.lead_unit is None and len(found) == 1:
                measure.lead_unit = found[0]
                assigned.append(measure.code)
    return plan, assigned


def load_notice(
    session: Session,
    result: NoticeImport,
    clock: Clock,
    *,
    take_plan: Collection[str] = (),
    allow_removals: bool = False,
) -> NoticeLoaded:
    """Load the plan (unassigned measures allowed) and record its reports, as of the clock's now.

    Refused (``InvalidPlan``) while a round fact is missing. The caller commits what returns, so the
    notice is loaded whole or not at all.
    """
    from tasks.ledger.plan_load import apply_plan
    from tasks.reports.record import (
        FileReport,
        ReportInput,
        file_report_key,
        parse_period,
        record_file_reports,
    )

    plan, assigned = _with_known_owners(session, result.complete_plan(), result.owners)
    actor = f"import notice {result.source.rsplit('/', 1)[-1]}"
    try:
        changes = apply_plan(
            session,
            plan,
            clock,
            where=lambda path: f"{result.source} (plan {'.'.join(str(p) for p in path)})",
            allow_unassigned=True,
            actor=actor,
            take_plan=take_plan,
            allow_removals=allow_removals,
        )
    except InvalidPlan as error:
        raise InvalidPlan(error.issues, result.source) from None
    items = []
    known = _reported_texts(session, [item["measure"] for item in result.reports])
    duplicates = 0
    for item in result.reports:
        if (item["measure"], item["text"].strip()) in known:
            # The ledger holds this outcome already (the notice imported before on another day, or its
            # reports loaded from a file): a notice read again records no report twice.
            duplicates += 1
            continue
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
            idempotency_key=file_report_key(plan.round.code, item["measure"], submitted_at),
            source="import",
        )
        items.append(FileReport(data, partial(_report_issue, result.source, item["measure"])))
    loaded, issues = record_file_reports(session, items, actor=actor, clock=clock)
    if issues:
        raise InvalidPlan(issues, result.source)
    return NoticeLoaded(changes, loaded.recorded, loaded.already_recorded + duplicates, assigned)


def _reported_texts(session: Session, codes: list[str]) -> set[tuple[str, str]]:
    """(measure code, report text) of every report the ledger holds on these measures."""
    from sqlalchemy import select

    from models.tables import Measure, Report

    rows = session.execute(
        select(Measure.code, Report.text).join(Report.measure).where(Measure.code.in_(set(codes)))
    )
    return {(code, text.strip()) for code, text in rows}
