"""Recording progress reports: the one path every report takes (CLI, API, Prefect UI input, importers).

Reports are append-only. A correction is a new report that names the one it supersedes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, selectinload

from models.clock import Clock
from models.collectives import all_members_done
from models.enums import EventKind, ReportStatus
from models.errors import (
    DuplicateReport,
    InvalidPlan,
    InvalidReport,
    PlanIssue,
    UnknownMeasure,
    UnknownUnit,
    ZhenggaiError,
)
from models.rules import status_after_report
from models.tables import (
    EvidenceFile,
    Measure,
    Problem,
    Report,
    ReportEvidence,
    ReportMetric,
    StatusEvent,
    Unit,
)
from models.text import (
    AUTHOR_MAX,
    CODE_MAX,
    EVIDENCE_NAME_MAX,
    IDEMPOTENCY_KEY_MAX,
    METRIC_NAME_MAX,
    METRIC_UNIT_MAX,
    METRICS_MAX,
    REPORT_TEXT_MAX,
    InvalidText,
    check_id,
    check_length,
    check_moment,
    normalise_text,
)
from models.yaml_positions import Located
from tasks.ledger.collectives import (
    collective_owners,
    finishes_measure,
    latest_member_claims,
    members_of,
    owning_collective,
)
from tasks.ledger.history import change_status


class MetricInput(BaseModel):
    """A figure in a report: name, number and unit of count (份, 次, 处, 万元…)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=METRIC_NAME_MAX)]
    # What the column holds (Numeric(20, 4)): checked here so every intake path refuses the same way.
    value: Annotated[Decimal, Field(allow_inf_nan=False, max_digits=20, decimal_places=4)]
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=METRIC_UNIT_MAX)] = ""


class EvidenceRef(BaseModel):
    """An evidence file already stored content-addressed, under the name the unit gave it."""

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    size: int
    content_type: str


class ReportInput(BaseModel):
    """A progress report as a unit submits it."""

    model_config = ConfigDict(extra="forbid")

    measure: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    unit: str | None = None
    text: str
    claimed_status: ReportStatus = ReportStatus.IN_PROGRESS
    period_start: date | None = None
    period_end: date | None = None
    author: str = ""
    metrics: list[MetricInput] = Field(default_factory=list)
    submitted_at: datetime | None = None
    idempotency_key: str | None = None
    supersedes: int | None = None
    source: str = "cli"
    evidence: list[EvidenceRef] = Field(default_factory=list)


def clean_report(data: ReportInput) -> ReportInput:
    """``data`` with every text normalised (``models.text``: one rule for every intake path) and every
    field within its declared limit; ``InvalidText`` (an ``InvalidReport``) names the first field at fault.

    Pure: the API calls it before it looks anything up, ``record_report`` calls it again (idempotent).
    """
    measure = normalise_text(data.measure, "measure", one_line=True, max_length=CODE_MAX).strip()
    unit = None
    if data.unit is not None:
        unit = normalise_text(data.unit, "unit", one_line=True, max_length=CODE_MAX).strip()
    text = normalise_text(data.text, "text", max_length=REPORT_TEXT_MAX)
    author = normalise_text(data.author, "author", one_line=True).strip()
    check_length(author, "author", AUTHOR_MAX)
    if len(data.metrics) > METRICS_MAX:
        raise InvalidText("metrics", f"{len(data.metrics)} figures; at most {METRICS_MAX}")
    metrics = []
    for i, metric in enumerate(data.metrics):
        name = normalise_text(metric.name, f"metrics[{i}].name", one_line=True).strip()
        if not name:  # only invisible characters
            raise InvalidText(f"metrics[{i}].name", "a figure needs a name")
        unit_of_count = normalise_text(metric.unit, f"metrics[{i}].unit", one_line=True).strip()
        metrics.append(metric.model_copy(update={"name": name, "unit": unit_of_count}))
    key = data.idempotency_key
    if key is not None:
        key = normalise_text(key, "idempotency_key", one_line=True, max_length=IDEMPOTENCY_KEY_MAX)
    if data.supersedes is not None:
        check_id(data.supersedes, "supersedes")
    evidence = [
        ref.model_copy(
            update={
                "filename": normalise_text(
                    ref.filename, f"evidence[{i}]", one_line=True, max_length=EVIDENCE_NAME_MAX
                )
            }
        )
        for i, ref in enumerate(data.evidence)
    ]
    if data.submitted_at is not None:
        check_moment(data.submitted_at, "submitted_at")
    return data.model_copy(
        update={
            "measure": measure,
            "unit": unit,
            "text": text,
            "author": author,
            "metrics": metrics,
            "idempotency_key": key,
            "evidence": evidence,
        }
    )


def record_report(session: Session, data: ReportInput, *, actor: str, clock: Clock) -> Report:
    """Validate and append a report, record its ``StatusEvent`` and move the measure's status.

    The clock's now is when it is recorded; its local day is "today" (periods may not end after it,
    nor start before the round's inspection began). The caller commits.
    """
    data = clean_report(data)
    now, today = clock.now, clock.today
    if data.idempotency_key:
        existing = session.scalar(select(Report.id).where(Report.idempotency_key == data.idempotency_key))
        if existing is not None:
            raise DuplicateReport(data.idempotency_key, existing)
    measure = session.scalar(
        select(Measure)
        .where(Measure.code == data.measure, Measure.removed_at.is_(None))
        .options(selectinload(Measure.co_units), selectinload(Measure.lead_unit))
    )
    if measure is None:
        raise UnknownMeasure(f"no measure '{data.measure}'")
    unit = _reporting_unit(session, measure, data.unit)
    text = data.text.strip()
    if not text:
        raise InvalidReport("text", "a report needs text")
    _check_period(data.period_start, data.period_end, today, measure.problem.round.inspection_start)
    submitted_at = _submitted_at(data.submitted_at, now)
    supersedes = _superseded(session, data.supersedes, measure, unit) if data.supersedes is not None else None

    report = Report(
        measure=measure,
        unit=unit,
        period_start=data.period_start,
        period_end=data.period_end,
        submitted_at=submitted_at,
        author=data.author.strip(),
        text=text,
        claimed_status=data.claimed_status,
        supersedes=supersedes,
        idempotency_key=data.idempotency_key,
        source=data.source,
    )
    for position, metric in enumerate(data.metrics):
        report.metrics.append(
            ReportMetric(position=position, name=metric.name, value=metric.value, unit=metric.unit)
        )
    with session.no_autoflush:  # the report is not in the session yet: don't flush it half-built
        for ref in data.evidence:
            if session.get(EvidenceFile, ref.sha256) is None:
                session.add(
                    EvidenceFile(
                        sha256=ref.sha256, size=ref.size, content_type=ref.content_type, stored_at=now
                    )
                )
            report.evidence.append(ReportEvidence(sha256=ref.sha256, filename=ref.filename))
    session.add(report)
    session.flush()

    reason = f"report #{report.id} from {unit.name if unit else 'unknown unit'}"
    if supersedes is not None:
        reason += f", superseding #{supersedes.id}"
    session.add(
        StatusEvent(
            measure=measure,
            at=now,
            actor=actor,
            kind=EventKind.REPORT,
            to_value=data.claimed_status.value,
            reason=reason,
        )
    )
    retracts = supersedes is not None and supersedes.claimed_status == ReportStatus.DONE
    # A member of a collective claims done for its own share: the measure is done when every member is.
    claimed_done = finishes_measure(session, measure, unit, data.claimed_status == ReportStatus.DONE)
    new_status = status_after_report(measure.status, claimed_done, retracts_done_claim=retracts)
    change_status(session, measure, new_status, actor=actor, now=now, reason=reason)
    session.flush()
    return report


def _check_period(start: date | None, end: date | None, today: date, inspection_start: date) -> None:
    """A report may cover the period under way (this week's meeting), not one that has not begun, nor
    one before the round's inspection began (立行立改 during the inspection is legitimate)."""
    for day, name in ((start, "starts"), (end, "ends")):
        if day is not None and day < inspection_start:
            raise InvalidReport("period", f"{name} {day}, before the inspection began on {inspection_start}")
    if start and end and start > end:
        raise InvalidReport("period", f"starts {start} after it ends {end}")
    if start and start > today:
        raise InvalidReport("period", f"starts {start}, in the future")
    if start is None and end and end > today:
        raise InvalidReport("period", f"ends {end}, in the future")


def _submitted_at(given: datetime | None, now: datetime) -> datetime:
    """When the report counts as submitted: now, or (a paper report) the aware time given, not later."""
    submitted_at = given or now
    if submitted_at.tzinfo is None:
        raise InvalidReport("submitted_at", "needs a time zone (e.g. 2023-12-15T10:00:00+08:00)")
    submitted_at = check_moment(submitted_at, "submitted_at")
    if submitted_at > now:
        raise InvalidReport("submitted_at", f"{submitted_at.isoformat()} is in the future")
    return submitted_at


def _superseded(session: Session, report_id: int, measure: Measure, unit: Unit | None) -> Report:
    """The report a correction supersedes: one on the same measure, by the same unit, not corrected yet."""
    report = session.get(Report, report_id)
    if report is None or report.measure_id != measure.id:
        raise InvalidReport("supersedes", f"report #{report_id} is not a report on {measure.code}")
    if report.unit_id != (unit.id if unit is not None else None):
        raise InvalidReport("supersedes", f"report #{report.id} was written by another unit")
    taken = session.scalar(select(Report.id).where(Report.supersedes_id == report.id))
    if taken is not None:
        raise InvalidReport("supersedes", f"report #{report.id} is already superseded by #{taken}")
    return report


def _reporting_unit(session: Session, measure: Measure, code: str | None) -> Unit | None:
    if code is None:
        return measure.lead_unit
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise UnknownUnit(f"no unit '{code}'")
    owners = {u.id for u in measure.co_units} | ({measure.lead_unit_id} if measure.lead_unit_id else set())
    if unit.id not in owners and owning_collective(measure, unit) is None:
        raise InvalidReport("unit", f"unit '{code}' does not own measure {measure.code}")
    return unit


# -- reports files ------------------------------------------------------------------------------


class _FileReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measure: str
    unit: str | None = None
    submitted_at: datetime
    period: str | None = None
    author: str = ""
    status: ReportStatus = ReportStatus.IN_PROGRESS
    text: str
    metrics: list[MetricInput] = Field(default_factory=list)


class _ReportsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    round: str
    reports: list[_FileReport]


@dataclass
class ReportsLoaded:
    """What loading a reports file did."""

    recorded: int
    already_recorded: int


def parse_period(text: str | None) -> tuple[date | None, date | None]:
    """``2023-10-19..2023-12-15`` → the two dates; raises ValueError on anything else."""
    if not text:
        return None, None
    start, sep, end = text.partition("..")
    if not sep:
        raise ValueError(f"'{text}' is not a period: write START..END, e.g. 2023-10-19..2023-12-15")
    return date.fromisoformat(start.strip()), date.fromisoformat(end.strip())


def file_report_key(round_code: str, measure: str, submitted_at: datetime) -> str:
    """The idempotency key of a report that comes from a file: loading the file again records nothing."""
    return f"file:{round_code}:{measure}:{submitted_at.isoformat()}"


@dataclass(frozen=True)
class FileReport:
    """A report read from a file, and how to place an error about one of its fields."""

    data: ReportInput
    place: Callable[[str, str], PlanIssue]  # (field, message) → an issue that names file and line


def record_file_reports(
    session: Session,
    reports: Iterable[FileReport],
    *,
    actor: str,
    clock: Clock,
    progress: Callable[[], None] | None = None,
) -> tuple[ReportsLoaded, list[PlanIssue]]:
    """Record the reports of a file, skipping those already recorded; collect every refusal, placed.
    ``progress`` is called once per report handled (a front door's progress bar).

    The caller commits only when no issue came back, so a file is recorded whole or not at all.
    """
    recorded = skipped = 0
    issues: list[PlanIssue] = []
    for item in reports:
        try:
            with session.begin_nested():
                record_report(session, item.data, actor=actor, clock=clock)
            recorded += 1
        except DuplicateReport:
            skipped += 1
        except InvalidReport as error:
            issues.append(item.place(error.field, str(error).split(": ", 1)[-1]))
        except ZhenggaiError as error:
            issues.append(item.place("measure", str(error)))
        if progress is not None:
            progress()
    return ReportsLoaded(recorded=recorded, already_recorded=skipped), issues


# -- bulk intake ----------------------------------------------------------------------------------


@dataclass
class _Planned:
    """One report of a bulk load, validated: the row to insert and the events it brings."""

    row: dict[str, Any]
    metrics: list[MetricInput]
    measure: Measure
    unit: Unit | None
    claimed: ReportStatus


def record_reports_bulk(
    session: Session,
    reports: Iterable[FileReport],
    *,
    actor: str,
    clock: Clock,
    progress: Callable[[], None] | None = None,
) -> tuple[ReportsLoaded, list[PlanIssue]]:
    """``record_file_reports`` for a whole file at once: the same validation, reports, status changes and
    history rows, written set-based. Every entry is validated first (one pass, every refusal placed);
    only when none is refused are the rows written, in a few statements. ``progress`` is ticked once per
    report validated and once per report written.

    Reports that correct another (``supersedes``), carry evidence or have no idempotency key (a file's
    reports always have one: ``file_report_key``) take the one-by-one path. The caller commits only when
    no issue came back.
    """
    items = list(reports)
    if any(
        item.data.supersedes is not None or item.data.evidence or not item.data.idempotency_key
        for item in items
    ):
        return record_file_reports(session, items, actor=actor, clock=clock, progress=progress)
    now, today = clock.now, clock.today
    issues: list[PlanIssue] = []
    cleaned: list[tuple[FileReport, ReportInput]] = []
    for item in items:
        try:
            cleaned.append((item, clean_report(item.data)))
        except InvalidReport as error:
            issues.append(item.place(error.field, str(error).split(": ", 1)[-1]))
            if progress is not None:
                progress()
    codes = {data.measure for _item, data in cleaned}
    measures = _measures_by_code(session, codes)
    units = {u.code: u for u in session.scalars(select(Unit))}
    keys = [data.idempotency_key for _item, data in cleaned if data.idempotency_key]
    seen = _recorded_keys(session, keys)
    planned: list[_Planned] = []
    skipped = 0
    for item, data in cleaned:
        try:
            if data.idempotency_key in seen:
                skipped += 1
                continue
            planned.append(_validated(data, measures, units, now=now, today=today))
            if data.idempotency_key:  # recorded (as one by one: a refused entry is no duplicate)
                seen.add(data.idempotency_key)
        except InvalidReport as error:
            issues.append(item.place(error.field, str(error).split(": ", 1)[-1]))
        except ZhenggaiError as error:
            issues.append(item.place("measure", str(error)))
        finally:
            if progress is not None:
                progress()
    if issues:
        return ReportsLoaded(recorded=0, already_recorded=skipped), issues
    _write_bulk(session, planned, actor=actor, now=now, progress=progress)
    return ReportsLoaded(recorded=len(planned), already_recorded=skipped), []


def _measures_by_code(session: Session, codes: set[str]) -> dict[str, Measure]:
    found: dict[str, Measure] = {}
    wanted = sorted(codes)
    for start in range(0, len(wanted), 500):  # a bounded IN list on every backend
        for measure in session.scalars(
            select(Measure)
            .where(Measure.code.in_(wanted[start : start + 500]), Measure.removed_at.is_(None))
            .options(
                selectinload(Measure.co_units),
                selectinload(Measure.lead_unit),
                selectinload(Measure.problem).selectinload(Problem.round),
            )
        ):
            found[measure.code] = measure
    return found


def _recorded_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            session.scalars(
                select(Report.idempotency_key).where(Report.idempotency_key.in_(keys[start : start + 500]))
            )
        )
    return found


def _validated(
    data: ReportInput, measures: dict[str, Measure], units: dict[str, Unit], *, now: datetime, today: date
) -> _Planned:
    """The checks of ``record_report``, in its order, against what was read up front."""
    measure = measures.get(data.measure)
    if measure is None:
        raise UnknownMeasure(f"no measure '{data.measure}'")
    if data.unit is None:
        unit = measure.lead_unit
    else:
        unit = units.get(data.unit)
        if unit is None:
            raise UnknownUnit(f"no unit '{data.unit}'")
        owners = {u.id for u in measure.co_units} | (
            {measure.lead_unit_id} if measure.lead_unit_id else set()
        )
        if unit.id not in owners and owning_collective(measure, unit) is None:
            raise InvalidReport("unit", f"unit '{data.unit}' does not own measure {measure.code}")
    text = data.text.strip()
    if not text:
        raise InvalidReport("text", "a report needs text")
    _check_period(data.period_start, data.period_end, today, measure.problem.round.inspection_start)
    submitted_at = _submitted_at(data.submitted_at, now)
    row = {
        "measure_id": measure.id,
        "unit_id": unit.id if unit is not None else None,
        "period_start": data.period_start,
        "period_end": data.period_end,
        "submitted_at": submitted_at,
        "author": data.author.strip(),
        "text": text,
        "claimed_status": data.claimed_status,
        "supersedes_id": None,
        "idempotency_key": data.idempotency_key,
        "source": data.source,
    }
    return _Planned(row, data.metrics, measure, unit, data.claimed_status)


def _write_bulk(
    session: Session,
    planned: list[_Planned],
    *,
    actor: str,
    now: datetime,
    progress: Callable[[], None] | None,
) -> None:
    """Insert the reports, their figures and history, and move the measures, as ``record_report`` would
    one after another: the status rule applied in order in memory, one statement per table."""
    if not planned:
        return
    session.flush()
    claims = _MemberClaims(session, planned)  # read before the load's reports are in the ledger
    # Plain executemany (no RETURNING: the driver's own fast path), then the ids read back by key.
    connection = session.connection()
    for start in range(0, len(planned), 1000):
        chunk = planned[start : start + 1000]
        connection.execute(insert(_table(Report)), [p.row for p in chunk])
        if progress is not None:
            for _ in chunk:
                progress()
    keys = [p.row["idempotency_key"] for p in planned]
    by_key: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        found = connection.execute(
            select(Report.idempotency_key, Report.id).where(
                Report.idempotency_key.in_(keys[start : start + 500])
            )
        )
        by_key.update((key, report_id) for key, report_id in found)
    ids = [by_key[key] for key in keys]
    metrics = [
        {"report_id": report_id, "position": position, "name": m.name, "value": m.value, "unit": m.unit}
        for report_id, p in zip(ids, planned, strict=True)
        for position, m in enumerate(p.metrics)
    ]
    if metrics:
        connection.execute(insert(_table(ReportMetric)), metrics)
    status = {p.measure.id: p.measure.status for p in planned}
    events: list[dict[str, Any]] = []
    for report_id, p in zip(ids, planned, strict=True):
        measure = p.measure
        reason = f"report #{report_id} from {p.unit.name if p.unit else 'unknown unit'}"
        base = {"measure_id": measure.id, "round_id": None, "at": now, "actor": actor, "reason": reason}
        events.append({**base, "kind": EventKind.REPORT, "from_value": None, "to_value": p.claimed.value})
        claims.add(measure, p.unit, p.row["submitted_at"], p.claimed)
        claimed_done = claims.finishes(measure, p.unit, p.claimed == ReportStatus.DONE)
        current = status[measure.id]
        target = status_after_report(current, claimed_done, retracts_done_claim=False)
        if target != current:
            events.append(
                {
                    **base,
                    "kind": EventKind.STATUS,
                    "from_value": current.value if current else None,
                    "to_value": target.value,
                }
            )
            status[measure.id] = target
    for start in range(0, len(events), 2000):
        connection.execute(insert(_table(StatusEvent)), events[start : start + 2000])
    for p in planned:
        if p.measure.status != status[p.measure.id]:
            p.measure.status = status[p.measure.id]
    session.flush()


class _MemberClaims:
    """The latest standing claim of each member of a collective on the measures of a bulk load, read once
    from the ledger and kept up to date as the load's reports are applied (``finishes_measure`` in memory)."""

    def __init__(self, session: Session, planned: list[_Planned]) -> None:
        owned = {p.measure.id: p.measure for p in planned if collective_owners(p.measure)}
        collective_ids = {unit.id for m in owned.values() for unit, _role in collective_owners(m)}
        self.members = members_of(session, collective_ids)
        member_ids = [u.id for listed in self.members.values() for u in listed]
        self.claims = latest_member_claims(session, list(owned), member_ids) if self.members else {}

    def add(self, measure: Measure, unit: Unit | None, at: datetime, claim: ReportStatus) -> None:
        if unit is None or not self.members:
            return
        key = (measure.id, unit.id)
        known = self.claims.get(key)
        if known is None or _aware(at) >= _aware(known[0]):  # a later id wins a tie, as in the ledger
            self.claims[key] = (at, claim)

    def finishes(self, measure: Measure, unit: Unit | None, claimed_done: bool) -> bool:
        if not claimed_done or unit is None:
            return claimed_done
        collective = owning_collective(measure, unit)
        if collective is None:
            return True
        listed = self.members.get(collective.id, [])
        return all_members_done(self.claims.get((measure.id, u.id), (None, None))[1] for u in listed)


def _table(mapped: type[Any]) -> Table:
    """A mapped class's table, for Core executemany (the driver's fast path, no per-row ORM work)."""
    return cast(Table, mapped.__table__)


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive UTC; compare every moment as aware UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _placed(located: Located, path: tuple[str | int, ...], field: str, message: str) -> PlanIssue:
    return located.issue((*path, field), message)


def load_reports_file(
    session: Session,
    path: Path,
    clock: Clock,
    *,
    progress: Callable[[int], Callable[[], None]] | None = None,
) -> ReportsLoaded:
    """Record every report of a reports file; reports already recorded are skipped.

    Every refusal is collected, placed by line, and raised together (``InvalidPlan``): the caller commits
    only what returns, so a file is recorded whole or not at all. ``progress(total)`` gives the callable
    ticked once per report validated and once per report written (``record_reports_bulk``).
    """
    from models.yaml_positions import load_located
    from tasks.ledger.plan_schema import issues_from_validation, read_plan_file

    source = str(path)
    located = load_located(read_plan_file(path), source)
    try:
        parsed = _ReportsFile.model_validate(located.data)
    except ValidationError as error:
        raise InvalidPlan(issues_from_validation(error, located.where), source) from None
    issues: list[PlanIssue] = []
    items: list[FileReport] = []
    for index, item in enumerate(parsed.reports):
        path_ = ("reports", index)
        try:
            start, end = parse_period(item.period)
        except ValueError as error:
            issues.append(located.issue((*path_, "period"), str(error)))
            continue
        data = ReportInput(
            measure=item.measure,
            unit=item.unit,
            text=item.text,
            claimed_status=item.status,
            period_start=start,
            period_end=end,
            author=item.author,
            metrics=item.metrics,
            submitted_at=item.submitted_at,
            idempotency_key=file_report_key(parsed.round, item.measure, item.submitted_at),
            source="import",
        )
        items.append(FileReport(data, partial(_placed, located, path_)))
    tick = progress(2 * len(items)) if progress is not None else None  # validated, then written
    loaded, refused = record_reports_bulk(
        session, items, actor=f"reports file {path.name}", clock=clock, progress=tick
    )
    issues += refused
    if issues:
        raise InvalidPlan(issues, source)
    return loaded


def report_summary(report: Report) -> dict[str, Any]:
    """A report as plain data (CLI and API output)."""
    return {
        "id": report.id,
        "measure": report.measure.code,
        "unit": report.unit.code if report.unit else None,
        "submitted_at": report.submitted_at.isoformat(),
        "period_start": report.period_start.isoformat() if report.period_start else None,
        "period_end": report.period_end.isoformat() if report.period_end else None,
        "author": report.author,
        "claimed_status": report.claimed_status.value,
        "text": report.text,
        "metrics": [
            {"name": m.name, "value": format(m.value.normalize(), "f"), "unit": m.unit}
            for m in report.metrics
        ],
        "evidence": [{"filename": e.filename, "sha256": e.sha256} for e in report.evidence],
        "supersedes": report.supersedes_id,
        "source": report.source,
    }
