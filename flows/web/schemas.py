"""The API's request and response bodies as typed models (the OpenAPI schema at ``/api/openapi.json``).

Times are shown as stored (UTC, ISO 8601 with offset); dates as ``YYYY-MM-DD``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from models.enums import MeasureStatus, ReportStatus, TokenRole
from models.measure_view import MeasureView, share_view
from models.rules import Light, MeasureState

Timestamp = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str)]


# -- requests -----------------------------------------------------------------------------------


class ApiMetric(BaseModel):
    """A figure as the API accepts it: at most 16 digits before the point and 4 after (the column's size)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    value: Annotated[Any, Field(description="A number: 40000, 3.5")]
    unit: str = ""


class AcceptBody(BaseModel):
    """销号: the closing note."""

    note: str = Field(description="Why the measure is closed (what was checked).")


class ReasonBody(BaseModel):
    """退回 or reopening: the reason."""

    reason: str = Field(description="Why the measure goes back to work.")


# -- responses ----------------------------------------------------------------------------------


class Health(BaseModel):
    """The service answers."""

    status: Literal["ok"] = "ok"


class Me(BaseModel):
    """What the presented token is."""

    token_id: int
    label: str
    role: TokenRole
    unit: str | None


class Metric(BaseModel):
    """A figure of a report: 宣传信发放 40000 份 (the value as a decimal string)."""

    name: str
    value: str
    unit: str


class EvidenceRef(BaseModel):
    """An evidence file of a report, under the name the unit gave it."""

    filename: str
    sha256: str


class EvidenceFile(EvidenceRef):
    """An evidence file with its stored size and type."""

    size: int
    content_type: str


class Report(BaseModel):
    """A stored progress report."""

    id: int
    measure: str
    unit: str | None
    submitted_at: Timestamp
    period_start: date | None
    period_end: date | None
    author: str
    claimed_status: ReportStatus
    text: str
    metrics: list[Metric]
    evidence: list[EvidenceRef]
    supersedes: int | None
    source: str


class SubmittedReport(Report):
    """The report as stored, and the measure's status after it."""

    measure_status: MeasureStatus


class MeasureReport(Report):
    """A report on a measure, with its evidence files and the report that corrects it, if any."""

    evidence: list[EvidenceFile]  # type: ignore[assignment]
    superseded_by: int | None


class LastReport(BaseModel):
    """The latest standing report of a measure."""

    submitted_at: Timestamp
    text: str | None


class MemberShareOut(BaseModel):
    """One member's share of a measure its collective owns (各街道办事处 → a street office)."""

    unit: str
    name: str
    role: Literal["lead", "co"]
    status: MeasureStatus
    state: MeasureState | None
    light: Light | None
    last_report_at: Timestamp | None
    last_report_text: str | None = None  # the member's latest standing report


class UnitMeasure(BaseModel):
    """A measure a unit leads or co-owns, as of today: deadline, state, light and last report.

    A member of a collective that owns it sees its own share (its status, state and light); anyone
    else sees the measure with every member's share and ``progress`` (``街道办事处 7/10 已完成（…）``).
    """

    code: str
    round: str
    problem: int
    problem_title: str
    ordinal: int
    marker: str
    text: str
    role: Literal["lead", "co"]
    lead_unit: str | None
    deadline: date | None
    deadline_spec: str
    cadence: str | None
    status: MeasureStatus
    state: MeasureState
    light: Light
    workdays_left: int | None
    # workdays_left (and the reminders) counted on the calendar's fallback: a year without official data
    provisional: bool = False
    last_report: LastReport | None
    members: list[MemberShareOut] = []
    progress: list[str] = []

    @classmethod
    def of(cls, view: MeasureView, unit_code: str) -> UnitMeasure:
        """A view as the unit ``unit_code`` sees it (lead or co-unit, or a member: its own share)."""
        own = next((share for share in view.members if share.code == unit_code), None)
        if own is not None:
            result = cls.of(share_view(view, own), unit_code)
            result.role = "lead" if own.role == "lead" else "co"
            result.lead_unit = view.lead_unit_code
            return result
        last = (
            LastReport(submitted_at=view.last_report_at, text=view.last_report_text)
            if view.last_report_at
            else None
        )
        return cls(
            code=view.code,
            round=view.round_code,
            problem=view.problem_ordinal,
            problem_title=view.problem_title,
            ordinal=view.ordinal,
            marker=view.marker,
            text=view.text,
            role="lead" if view.lead_unit_code == unit_code else "co",
            lead_unit=view.lead_unit_code,
            deadline=view.deadline,
            deadline_spec=view.deadline_spec,
            cadence=view.cadence,
            status=view.status,
            state=view.state,
            light=view.light,
            workdays_left=view.workdays_left,
            provisional=view.provisional,
            last_report=last,
            members=[
                MemberShareOut(
                    unit=share.code,
                    name=share.name,
                    role="lead" if share.role == "lead" else "co",
                    status=share.status,
                    state=share.state,
                    light=share.light,
                    last_report_at=share.last_report_at,
                    last_report_text=share.last_report_text,
                )
                for share in view.members
            ],
            progress=[str(group) for group in view.progress],
        )


class HistoryEvent(BaseModel):
    """One entry of a measure's history (a ``StatusEvent``)."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    at: Timestamp
    actor: str
    kind: str
    from_: str | None = Field(alias="from")
    to: str | None
    reason: str


class ReviewOutcome(BaseModel):
    """What a review did; ``deployment`` (after 销号 or reopening) says what the schedule sync did;
    ``step`` the review step taken (分管领导确认, 销号) and, after a confirmation, ``next_step``."""

    measure: str
    action: Literal["confirm", "accept", "return", "reopen"]
    from_status: MeasureStatus
    to_status: MeasureStatus
    reason: str
    events: list[int]
    step: str = ""
    next_step: str = ""
    deployment: str | None = None
