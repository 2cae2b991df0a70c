"""A measure a collective owns (各街道办事处), member by member: each member's share and the measure across them.

A unit of kind collective that lists members stands for them: a measure it owns (lead or co-owner) is
owned by each member, with the collective's role. Each member's share has its own status (from its own
reports), its own missing report and its own light; the measure is done when every member has reported
done, and overdue while any member is overdue (its deadline is theirs). Pure rules: the ledger's
reading is ``tasks.ledger.collectives``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from models.clock import Clock
from models.enums import MeasureStatus, ReportStatus
from models.rules import Assessment, Light, MeasureState, derive_state, is_finished

LEAD, CO = "lead", "co"


@dataclass(frozen=True)
class MemberShare:
    """One member's share of a measure its collective owns, as of a moment."""

    code: str
    name: str
    collective_code: str
    collective: str  # the collective's name: 各街道办事处
    role: str = LEAD  # the collective's role on the measure: lead or co
    status: MeasureStatus = MeasureStatus.PLANNED  # the member's own, see ``member_status``
    last_report_at: datetime | None = None
    last_report_text: str | None = None  # read only where it is shown (the API's unit view)
    # The closed cadence period the member has not reported (aware, local), as models.periods gives it.
    missing_period: tuple[datetime, datetime] | None = None
    assessment: Assessment | None = None
    unit_id: int | None = None

    @property
    def finished(self) -> bool:
        return is_finished(self.status)

    @property
    def report_missing(self) -> bool:
        return self.missing_period is not None

    @property
    def state(self) -> MeasureState | None:
        return self.assessment.state if self.assessment else None

    @property
    def light(self) -> Light | None:
        return self.assessment.light if self.assessment else None

    @property
    def overdue(self) -> bool:
        return self.state == MeasureState.OVERDUE


def member_status(measure_status: MeasureStatus, claim: ReportStatus | None) -> MeasureStatus:
    """A member's own status: the measure's when it is finished (done or 销号 for all), else what the
    member's latest standing report claims (done, in progress), planned before it reports."""
    if is_finished(measure_status):
        return measure_status
    if claim == ReportStatus.DONE:
        return MeasureStatus.DONE
    return MeasureStatus.IN_PROGRESS if claim is not None else MeasureStatus.PLANNED


def standing_claim(claim: ReportStatus, claimed_at: datetime, returned_at: datetime | None) -> ReportStatus:
    """A member's latest claim as it stands: a done claim made before the coordinator last returned or
    reopened the measure (退回, 重新打开) no longer counts as done; the member has reported, so it is
    in progress until it reports done again."""
    if claim == ReportStatus.DONE and returned_at is not None and claimed_at <= returned_at:
        return ReportStatus.IN_PROGRESS
    return claim


def all_members_done(claims: Iterable[ReportStatus | None]) -> bool:
    """Whether every member has reported done (a done claim from a member finishes the measure only then)."""
    listed = list(claims)
    return bool(listed) and all(claim == ReportStatus.DONE for claim in listed)


@dataclass(frozen=True)
class _Facts:
    status: MeasureStatus
    deadline: date | None


def member_moves(
    moves: Sequence[tuple[datetime, MeasureStatus]], done_at: datetime | None
) -> tuple[tuple[datetime, MeasureStatus], ...]:
    """A member's own status moves on its collective's measure: the measure's, and done from the moment
    the member reported done (``done_at``: its latest standing report's, when that claims done)."""
    if done_at is None:
        return tuple(moves)
    return (*(move for move in moves if move[0] < done_at), (done_at, MeasureStatus.DONE))


def judge_share(share: MemberShare, deadline: date | None, clock: Clock) -> MemberShare:
    """The share with its derived state and light as of the clock's now (the measure's deadline)."""
    assessment = derive_state(_Facts(share.status, deadline), clock, report_missing=share.report_missing)
    return replace(share, assessment=assessment)


def missing_of(shares: Sequence[MemberShare]) -> tuple[datetime, datetime] | None:
    """The measure's missing report across its lead members: the earliest period an unfinished lead
    member has not reported (None when every one has)."""
    missing = [s.missing_period for s in shares if s.role == LEAD and not s.finished and s.missing_period]
    return min(missing) if missing else None


@dataclass(frozen=True)
class CollectiveProgress:
    """How far the members of one collective are on a measure: "街道办事处 7/10 已完成", laggards named."""

    collective: str
    role: str
    members: tuple[MemberShare, ...]

    @property
    def total(self) -> int:
        return len(self.members)

    @property
    def done(self) -> int:
        return sum(1 for member in self.members if member.finished)

    @property
    def all_done(self) -> bool:
        return self.done == self.total

    @property
    def overdue(self) -> bool:
        return any(member.overdue for member in self.members)

    @property
    def laggards(self) -> tuple[str, ...]:
        """The members not done yet, by name, in the plan's order."""
        return tuple(member.name for member in self.members if not member.finished)

    @property
    def label(self) -> str:
        """``街道办事处 7/10 已完成`` (the collective's name without its leading 各)."""
        group = self.collective[1:] if self.collective.startswith("各") else self.collective
        return f"{group} {self.done}/{self.total} 已完成"

    @property
    def laggards_text(self) -> str:
        """``未完成：示例街道二、示例街道三`` (empty when all are done)."""
        return f"未完成：{'、'.join(self.laggards)}" if self.laggards else ""

    def __str__(self) -> str:
        return f"{self.label}（{self.laggards_text}）" if self.laggards else self.label


def progress(shares: Sequence[MemberShare]) -> list[CollectiveProgress]:
    """The shares grouped by collective (lead first, then co-owners, in their order)."""
    groups: dict[tuple[str, str, str], list[MemberShare]] = {}
    for share in shares:
        groups.setdefault((share.role, share.collective_code, share.collective), []).append(share)
    ordered = sorted(groups.items(), key=lambda item: item[0][0] != LEAD)
    return [CollectiveProgress(name, role, tuple(members)) for (role, _code, name), members in ordered]
