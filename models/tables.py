"""Typed ORM tables of the ledger: rounds, units, problems, measures, reports and their history.

Timestamps are stored as UTC and come back tz-aware on every backend (see ``UTCDateTime``).
Reports, status events and deliveries are append-only logs: rows are added, never rewritten,
except for a delivery's own attempt counters.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from models.enums import (
    DeliveryStatus,
    DraftDecision,
    DraftStatus,
    MeasureStatus,
    ReportStatus,
    TokenRole,
    UnitKind,
)
from models.errors import DraftLocked
from models.text import AUTHOR_MAX, EVIDENCE_NAME_MAX, IDEMPOTENCY_KEY_MAX, METRIC_NAME_MAX, METRIC_UNIT_MAX


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC; naive values are refused, values read back are tz-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store timestamps tz-aware")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store naive UTC there and re-attach UTC when reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings (no database enum type): adding a member needs no migration on PostgreSQL.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda members: [m.value for m in members])


class Round(Base):
    """One inspection (巡察) or audit and its follow-up."""

    __tablename__ = "rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    inspected_org: Mapped[str] = mapped_column(String(200))  # 中共新华区城市管理综合行政执法局党组
    inspected_short: Mapped[str] = mapped_column(String(50), default="我局")
    feedback_recipient: Mapped[str] = mapped_column(String(100), default="我局党组")
    inspecting_body: Mapped[str] = mapped_column(String(200))  # 区委第二巡察组
    inspection_kind: Mapped[str] = mapped_column(String(50), default="常规巡察")
    inspection_start: Mapped[date] = mapped_column(Date)
    inspection_end: Mapped[date] = mapped_column(Date)
    feedback_date: Mapped[date] = mapped_column(Date)
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    contact_address: Mapped[str | None] = mapped_column(String(200))
    contact_postcode: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(200))
    signature: Mapped[str | None] = mapped_column(String(200))
    # Notice template options (label, statistics placement, closing text…) owned by the notice renderer.
    notice_options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Figures a published notice states (问题 N 个、完成率 R%), kept when a notice is imported.
    statistics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The assessment formula (考评计分办法) the plan names, as a mapping; None: the default formula.
    assessment_formula: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The cadence 长期坚持 measures without one of their own follow (models.cadence.effective_cadence);
    # None: 每月最后一个工作日 09:00.
    ongoing_cadence: Mapped[str | None] = mapped_column(String(100), default=None)
    # The review steps before and including 销号 (models.review_steps), e.g. ["分管领导确认", "销号"];
    # None: a done claim is closed in one step.
    review_steps: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    head_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    problems: Mapped[list[Problem]] = relationship(
        back_populates="round", order_by="Problem.ordinal", cascade="all, delete-orphan"
    )
    coordinator: Mapped[Contact | None] = relationship(foreign_keys=[coordinator_id])
    head: Mapped[Contact | None] = relationship(foreign_keys=[head_id])


class Unit(Base):
    """An owner unit (责任单位): a street office, an enforcement team, a department…"""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind), default=UnitKind.OTHER)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    # A collective's own token may report for its members (each report for one named member).
    reports_for_members: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    parent: Mapped[Unit | None] = relationship(remote_side=[id])
    contacts: Mapped[list[Contact]] = relationship(back_populates="unit", order_by="Contact.id")


class Contact(Base):
    """A person reached through Apprise URLs: a unit's liaison, a responsible leader, the coordinator's office."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    person: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    # Stored as given (they may hold secrets): show them only through a masking function.
    urls: Mapped[list[str]] = mapped_column(default=list)
    # Messages a minute each of its URLs takes (0: not limited); None: its scheme's default
    # (models.rate_limits.DEFAULT_PER_MINUTE).
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    # per_message, or daily: one digest a working day carries its messages (models.notifications)
    digest: Mapped[str] = mapped_column(String(20), default="per_message", server_default="per_message")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(back_populates="contacts")


class Problem(Base):
    """A problem the inspection fed back (反馈问题)."""

    __tablename__ = "problems"
    __table_args__ = (UniqueConstraint("round_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)  # 1 → 一、
    title: Mapped[str] = mapped_column(Text)  # 学习未能真正“入脑入心”
    description: Mapped[str] = mapped_column(Text, default="")
    # Sentence the notice puts before the enumerated measures (problems 1, 7 and 8 of the seed).
    outcome_lead_in: Mapped[str] = mapped_column(Text, default="")
    removed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    round: Mapped[Round] = relationship(back_populates="problems")
    measures: Mapped[list[Measure]] = relationship(back_populates="problem", order_by="Measure.ordinal")


measure_co_units = Table(
    "measure_co_units",
    Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class Measure(Base):
    """A rectification measure (整改措施) with its owner, deadline or cadence."""

    __tablename__ = "measures"
    __table_args__ = (Index("ix_measures_problem_ordinal", "problem_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # stable: deployments are named by it
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    marker: Mapped[str] = mapped_column(String(20), default="")  # 一是、二是、三要… as the notice writes it
    text: Mapped[str] = mapped_column(Text)
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    deadline_spec: Mapped[str] = mapped_column(String(50), default="长期坚持")  # as written in the plan
    deadline: Mapped[date | None] = mapped_column(Date)  # resolved; None means 长期坚持 (ongoing)
    cadence: Mapped[str | None] = mapped_column(String(500))  # as written: 每周一 09:00, cron or RRULE
    # Working days before the deadline it is reminded (largest first); None: the installation's offsets.
    reminder_offsets: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    status: Mapped[MeasureStatus] = mapped_column(_enum(MeasureStatus), default=MeasureStatus.PLANNED)
    removed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    problem: Mapped[Problem] = relationship(back_populates="measures")
    lead_unit: Mapped[Unit | None] = relationship(foreign_keys=[lead_unit_id])
    co_units: Mapped[list[Unit]] = relationship(secondary=measure_co_units, order_by="Unit.code")
    leader: Mapped[Contact | None] = relationship(foreign_keys=[leader_id])
    reports: Mapped[list[Report]] = relationship(back_populates="measure", order_by="Report.submitted_at")


class Report(Base):
    """A unit's progress report (进展) on a measure. Append-only: a correction supersedes, never edits."""

    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_measure_submitted", "measure_id", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="RESTRICT"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[str] = mapped_column(String(AUTHOR_MAX), default="")
    text: Mapped[str] = mapped_column(Text)
    claimed_status: Mapped[ReportStatus] = mapped_column(
        _enum(ReportStatus), default=ReportStatus.IN_PROGRESS
    )
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id", ondelete="RESTRICT"), unique=True
    )
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_MAX), unique=True)
    source: Mapped[str] = mapped_column(String(20), default="cli")  # cli, api, ui, import

    measure: Mapped[Measure] = relationship(back_populates="reports")
    unit: Mapped[Unit | None] = relationship()
    metrics: Mapped[list[ReportMetric]] = relationship(
        back_populates="report", order_by="ReportMetric.position", cascade="all, delete-orphan"
    )
    evidence: Mapped[list[ReportEvidence]] = relationship(
        back_populates="report", order_by="ReportEvidence.id", cascade="all, delete-orphan"
    )
    supersedes: Mapped[Report | None] = relationship(remote_side=[id])


class ReportMetric(Base):
    """A figure in a report: 宣传信发放 40000 份."""

    __tablename__ = "report_metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(METRIC_NAME_MAX))
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))
    unit: Mapped[str] = mapped_column(String(METRIC_UNIT_MAX), default="")  # 份, 次, 处, 万元…

    report: Mapped[Report] = relationship(back_populates="metrics")


class EvidenceFile(Base):
    """A stored evidence file (台账), content-addressed: the same bytes are kept once."""

    __tablename__ = "evidence_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(200))
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportEvidence(Base):
    """A report's reference to an evidence file, under the name the unit gave it."""

    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence_files.sha256", ondelete="RESTRICT"))
    filename: Mapped[str] = mapped_column(String(EVIDENCE_NAME_MAX))

    report: Mapped[Report] = relationship(back_populates="evidence")
    file: Mapped[EvidenceFile] = relationship()


class StatusEvent(Base):
    """Append-only history: every status change and system observation (who/what, when, from → to, why)."""

    __tablename__ = "status_events"
    __table_args__ = (
        Index("ix_status_events_measure_at", "measure_id", "at"),
        # The day's escalations (the desk's 今日督办, the planner) are read by kind over a time window.
        Index("ix_status_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="RESTRICT"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))  # "plan load", "check_measure", a token's label…
    kind: Mapped[str] = mapped_column(String(40))  # an EventKind value
    from_value: Mapped[str | None] = mapped_column(String(40))
    to_value: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text, default="")
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    # Makes an observation idempotent: two check runs for the same scheduled time record one event.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    measure: Mapped[Measure | None] = relationship()


class Delivery(Base):
    """One message in the delivery log; its key makes sending exactly-once."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)  # measure|kind|recipient|period-or-step
    kind: Mapped[str] = mapped_column(String(40))  # a MessageKind value
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    url_index: Mapped[int] = mapped_column(Integer, default=0)  # which of the contact's URLs
    recipient_masked: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(40))  # the Apprise scheme: mailto, dingtalk, json…
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    # A digested message: the daily digest that carries it (set once, when the digest is recorded).
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))


class ApiToken(Base):
    """A bearer token for the report API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[TokenRole] = mapped_column(_enum(TokenRole))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
    # When it stops working; None for tokens issued before tokens expired (they never do).
    expires_at: Mapped[datetime | None] = mapped_column()

    unit: Mapped[Unit | None] = relationship()


class SigningKey(Base):
    """A secret key kept in the ledger (created on first use), so every process signs alike: the portal's
    sign-in links and session cookies are HMAC-signed with the key named ``portal``."""

    __tablename__ = "signing_keys"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    secret: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Acknowledgement(Base):
    """签收: a unit signed for its assignment on a measure (as it stood: ``assignment`` fingerprints the
    text, deadline and owners, so a changed assignment is signed for again). Append-only."""

    __tablename__ = "acknowledgements"
    __table_args__ = (Index("ix_acknowledgements_measure_unit", "measure_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    assignment: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column()
    acknowledged_at: Mapped[datetime] = mapped_column(default=utcnow)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")


class ExtensionRequest(Base):
    """延期申请: a unit asks for a later deadline with a reason; pending until a coordinator decides.
    The measure's deadline is untouched by the request; ``original_deadline`` keeps the one asked about."""

    __tablename__ = "extension_requests"
    __table_args__ = (Index("ix_extension_requests_measure", "measure_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    original_deadline: Mapped[date | None] = mapped_column(Date)
    requested_deadline: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, approved, refused
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # A per-form key: a double tap records one request.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)

    measure: Mapped[Measure] = relationship()


class GeneratedNotice(Base):
    """A notice generated from the ledger: one versioned record per generation."""

    __tablename__ = "generated_notices"
    # One generation is one version, in as many formats as were asked for.
    __table_args__ = (UniqueConstraint("round_id", "version", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    format: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(500))
    requested_by: Mapped[str] = mapped_column(String(100), default="")
    missing_reports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeDraft(Base):
    """A notice draft (通报草稿): the paragraphs the coordinator edits, a leader decides on, then published."""

    __tablename__ = "notice_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)  # 草稿 N
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[DraftStatus] = mapped_column(_enum(DraftStatus), default=DraftStatus.DRAFTING)
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("notice_drafts.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    flow_run_id: Mapped[str | None] = mapped_column(String(40), unique=True)  # the draft_notice run waiting

    round: Mapped[Round] = relationship()
    paragraphs: Mapped[list[NoticeParagraph]] = relationship(
        back_populates="draft", order_by="NoticeParagraph.position", cascade="all, delete-orphan"
    )


class NoticeParagraph(Base):
    """One paragraph of a draft (preamble, problem K's description or 整改成效, statistics, closing)."""

    __tablename__ = "notice_paragraphs"
    __table_args__ = (UniqueConstraint("draft_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("notice_drafts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(40))  # preamble, problem-3-outcome, statistics, closing…
    text: Mapped[str] = mapped_column(Text)  # the current text (what is published)
    assembled: Mapped[str] = mapped_column(Text)  # the text assembled from the ledger
    # The reports it came from: [{"measure": code, "report": id}] (report None: 【待报送】).
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the previous draft's edit of this paragraph was not carried: its reports changed since.
    stale_edit: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[NoticeDraft] = relationship(back_populates="paragraphs")


class NoticeEdit(Base):
    """An edit of a draft's paragraph: who, when, before → after (append-only)."""

    __tablename__ = "notice_edits"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("notice_drafts.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="cli")  # cli, docx, md, web


class NoticeDecision(Base):
    """A leader's decision on a draft: approve (审核签发) or return with a note (append-only)."""

    __tablename__ = "notice_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("notice_drafts.id", ondelete="CASCADE"), index=True)
    decision: Mapped[DraftDecision] = mapped_column(_enum(DraftDecision))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(20), default="cli")  # cli, prefect, web


class ReportHold(Base):
    """A report marked "not for publication" (不予公开), with the reason: drafts leave its text out."""

    __tablename__ = "report_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeNumberCounter(Base):
    """The last publication number (发文字号) taken in a year; its row is the lock that serialises numbering."""

    __tablename__ = "notice_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class DubanNumberCounter(Base):
    """The last 督办单 number taken in a year; its row is the lock that serialises numbering."""

    __tablename__ = "duban_number_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class EndpointWindow(Base):
    """One endpoint's recent send moments (its rate limit's sliding window, models.rate_limits), shared by
    every sender; its row is the lock under which a claim takes a slot."""

    __tablename__ = "endpoint_windows"

    endpoint: Mapped[str] = mapped_column(String(40), primary_key=True)  # models.rate_limits.endpoint_key
    sent_at: Mapped[list[str]] = mapped_column(default=list)  # ISO moments (UTC), oldest first
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DubanSheet(Base):
    """A 督办单 (supervision sheet) an escalation step issued: numbered, its facts as issued, never changed."""

    __tablename__ = "duban_sheets"
    __table_args__ = (UniqueConstraint("year", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(100), unique=True)  # 督办〔2026〕12号
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    step_key: Mapped[str] = mapped_column(String(200), unique=True)  # the step's StatusEvent.dedupe_key
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id", ondelete="RESTRICT"), index=True)
    round_code: Mapped[str] = mapped_column(String(64), default="")
    measure_code: Mapped[str] = mapped_column(String(64))
    member: Mapped[str | None] = mapped_column(String(64))  # the member of a collective it is addressed to
    level: Mapped[str] = mapped_column(String(10))  # blue, yellow, red
    unit: Mapped[str] = mapped_column(String(200))
    leader: Mapped[str | None] = mapped_column(String(100))
    measure_text: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None] = mapped_column(Date)
    overdue_workdays: Mapped[int | None] = mapped_column(Integer)
    missed_periods: Mapped[int | None] = mapped_column(Integer)
    unsigned_workdays: Mapped[int | None] = mapped_column(Integer)  # a 签收 step: working days unsigned
    issued_on: Mapped[date] = mapped_column(Date)
    reply_by: Mapped[date] = mapped_column(Date)
    reply_workdays: Mapped[int] = mapped_column(Integer)
    issuer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DubanSheetFile(Base):
    """A 督办单 written as a file (DOCX, PDF): its format, SHA-256 and path under the data directory.

    Written once when the sheet is issued (a rerun finds it and writes nothing), never changed."""

    __tablename__ = "duban_sheet_files"
    __table_args__ = (UniqueConstraint("sheet_id", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("duban_sheets.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(String(10))  # docx, pdf
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))  # relative to the data directory
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DubanResponse(Base):
    """A unit's answer to a 督办单: its 签收 (``ack``) or its reply (``reply``: a written text, or a report
    that answers it). Append-only; who and when are kept."""

    __tablename__ = "duban_responses"
    __table_args__ = (Index("ix_duban_responses_sheet", "sheet_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("duban_sheets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # ack, reply
    text: Mapped[str] = mapped_column(Text, default="")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
    # A per-form key: a double tap records one reply.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class NoticePublication(Base):
    """A published notice: an approved draft with its number; never changed (a correction replaces it)."""

    __tablename__ = "notice_publications"
    __table_args__ = (UniqueConstraint("year", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("notice_drafts.id", ondelete="RESTRICT"), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(100))  # 新城执党〔2026〕3号
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column()
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    replaces_id: Mapped[int | None] = mapped_column(
        ForeignKey("notice_publications.id", ondelete="RESTRICT"), unique=True
    )
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{format, path, sha256}]


@event.listens_for(NoticePublication, "before_update")
def _publication_is_immutable(_mapper: Any, _connection: Any, target: NoticePublication) -> None:
    """A published notice never changes: a correction is a new publication that replaces it."""
    raise DraftLocked(
        f"{target.number} is published and never changes: publish a correction that replaces it"
    )


class CalendarImport(Base):
    """One import of a year's holiday arrangement (history: every import is kept; the latest counts)."""

    __tablename__ = "calendar_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(100))
    source_name: Mapped[str] = mapped_column(String(500))  # the file as given
    source_format: Mapped[str] = mapped_column(String(10))  # notice | yaml
    source_text: Mapped[str] = mapped_column(Text)
    holidays: Mapped[int] = mapped_column(Integer)  # days off, weekends inside holiday periods included
    workdays: Mapped[int] = mapped_column(Integer)  # 调休 working days
    # Days chinesecalendar decides otherwise at import time (None: it has no data for the year).
    package_disagreements: Mapped[int | None] = mapped_column(Integer)


class ImportedDay(Base):
    """A day the current import of a year names: off (a holiday) or worked (调休), with its festival."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("year", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("calendar_imports.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column(Integer)  # the arrangement's year (元旦 may start the December before)
    day: Mapped[date] = mapped_column(Date)
    workday: Mapped[bool] = mapped_column(Boolean)
    festival: Mapped[str | None] = mapped_column(String(100))


class AssessmentResult(Base):
    """A round's assessment (考评) of one period, stored when the period closes; a recomputation is a new
    revision and the earlier ones stay (the latest is the one shown)."""

    __tablename__ = "assessment_results"
    __table_args__ = (UniqueConstraint("round_id", "period", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(10))  # 2026-W48 or 2026-11
    revision: Mapped[int] = mapped_column(Integer)
    formula_name: Mapped[str] = mapped_column(String(200))
    formula_version: Mapped[str] = mapped_column(String(50))
    formula: Mapped[dict[str, Any]] = mapped_column()  # the formula as it was, to explain the result later
    as_of: Mapped[datetime] = mapped_column()  # the ledger was read as of this moment
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed_by: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")  # why it was recomputed
    notes: Mapped[list[str]] = mapped_column(default=list)  # ties and list borders, as printed

    scores: Mapped[list[AssessmentScore]] = relationship(
        back_populates="result", order_by="AssessmentScore.id", cascade="all, delete-orphan"
    )


class AssessmentScore(Base):
    """A unit's stored score in a period's result, with the lines that make it up and its 加减分."""

    __tablename__ = "assessment_scores"
    __table_args__ = (UniqueConstraint("result_id", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("assessment_results.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    unit_code: Mapped[str] = mapped_column(String(64))
    unit_name: Mapped[str] = mapped_column(String(200))
    unit_kind: Mapped[str] = mapped_column(String(32))
    collective: Mapped[str | None] = mapped_column(String(64))
    asked: Mapped[int] = mapped_column(Integer)
    base_score: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    adjustment: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    ranked: Mapped[bool] = mapped_column(Boolean)
    unranked_reason: Mapped[str] = mapped_column(String(100), default="")
    rank: Mapped[int | None] = mapped_column(Integer)
    tied: Mapped[bool] = mapped_column(Boolean, default=False)
    list_kind: Mapped[str | None] = mapped_column(String(10))  # red (红榜) or black (黑榜)
    list_reason: Mapped[str] = mapped_column(Text, default="")
    change: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    result: Mapped[AssessmentResult] = relationship(back_populates="scores")


class AssessmentAdjustment(Base):
    """A bonus or deduction (加减分) with its reason, who and when; never edited, answered by another."""

    __tablename__ = "assessment_adjustments"
    __table_args__ = (Index("ix_assessment_adjustments_round_period", "round_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(10))
    points: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship()
