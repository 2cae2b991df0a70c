"""A measure as of a moment: the one read model the overview, the check, the planner, the 台账 and the notice share.

``tasks.ledger.queries.measure_views`` builds it from the ledger (its latest report then, the cadence
period it still owes, its derived state); tests build it from plain values. The first fields are what
the notice needs, so a view reads naturally in one line there: ``MeasureView("XH-01-1", 1, "一是")``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from models.collectives import CollectiveProgress, MemberShare, progress
from models.enums import MeasureStatus
from models.rules import Assessment, Light, MeasureState


@dataclass(frozen=True)
class MeasureView:
    """A measure with its owners, deadline, status and latest report as of a moment, and its judgment then."""

    code: str
    ordinal: int = 0
    marker: str = ""  # 一是、二是… as the notice writes it
    lead_unit: str | None = None  # the lead unit's name; None when unassigned
    deadline: date | None = None  # None: 长期坚持
    status: MeasureStatus = MeasureStatus.PLANNED  # as of the moment
    text: str = ""
    id: int | None = None
    deadline_spec: str = ""  # as written: 2023-12-31, 20个工作日, 长期坚持
    cadence: str | None = None  # as written
    reminder_offsets: tuple[int, ...] | None = None  # its own reminders; None: the installation's
    problem_ordinal: int = 0
    problem_title: str = ""
    problem_description: str = ""
    round_id: int | None = None
    round_code: str = ""
    feedback_date: date | None = None
    lead_unit_id: int | None = None
    lead_unit_code: str | None = None
    co_units: tuple[str, ...] = ()  # names
    leader_code: str | None = None
    leader_person: str | None = None
    leader_role: str = ""
    last_report_at: datetime | None = None
    last_report_text: str | None = None
    # The closed cadence period that has no report (aware, local), see models.periods.missing_period.
    missing_period: tuple[datetime, datetime] | None = None
    # The derived state as of the moment; None where only the facts were read (the notice).
    assessment: Assessment | None = None
    # The shares of the members of a collective that owns the measure (models.collectives), judged.
    members: tuple[MemberShare, ...] = ()
    # Its deadline's working days are counted on the calendar's fallback (a year without official
    # data): what is shown of them says 暂定 (see models.workdays.counted_provisionally).
    provisional: bool = False

    @property
    def measure_text(self) -> str:
        """The marker and the text, as the notice prints them: ``一是强化……``."""
        return f"{self.marker}{self.text}"

    @property
    def leader(self) -> str | None:
        """The responsible leader as messages and overviews name them: the role, else the person."""
        return (self.leader_role or self.leader_person) if self.leader_code else None

    @property
    def progress(self) -> list[CollectiveProgress]:
        """How far each owning collective's members are: ``街道办事处 7/10 已完成``, laggards named."""
        return progress(self.members)

    @property
    def report_missing(self) -> bool:
        return self.missing_period is not None

    @property
    def judged(self) -> Assessment:
        if self.assessment is None:
            raise ValueError(f"{self.code} was read without its derived state")
        return self.assessment

    @property
    def state(self) -> MeasureState:
        return self.judged.state

    @property
    def light(self) -> Light:
        return self.judged.light

    @property
    def workdays_left(self) -> int | None:
        return self.judged.workdays_left


def share_view(view: MeasureView, share: MemberShare) -> MeasureView:
    """The measure as one member of its collective sees it: the member as its owner, with the member's
    own status, latest report, missing report and judgment."""
    return replace(
        view,
        lead_unit=share.name,
        lead_unit_id=share.unit_id,
        lead_unit_code=share.code,
        status=share.status,
        last_report_at=share.last_report_at,
        last_report_text=share.last_report_text,
        missing_period=share.missing_period,
        assessment=share.assessment,
        members=(),
    )
