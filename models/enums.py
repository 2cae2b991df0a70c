"""The ledger's vocabularies: statuses, kinds and roles as the database stores them (no SQLAlchemy here).

Each member's value is the string stored in its column, so rules, renderers and front doors share one
spelling; ``models.tables`` maps the columns to these enums.
"""

from __future__ import annotations

import enum


class MeasureStatus(enum.StrEnum):
    """Stored status of a measure; 'overdue' is derived from the deadline, never stored."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"  # the unit claims completion; awaits review
    CLOSED = "closed"  # 销号: reviewed and closed by a coordinator


class UnitKind(enum.StrEnum):
    """What sort of body an owner unit is."""

    STREET_OFFICE = "street_office"  # 街道办事处
    ENFORCEMENT_TEAM = "enforcement_team"  # 综合执法队
    DEPARTMENT = "department"  # 科室、中心、队
    LEADERSHIP = "leadership"  # 党组、领导班子、局领导
    COMMITTEE = "committee"  # 管委会
    EXTERNAL = "external"  # 区公安分局 and other bodies outside the bureau
    COLLECTIVE = "collective"  # 各街道办事处: stands for its member units (a unit's parent is its collective)
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    """What a unit claims in a progress report."""

    IN_PROGRESS = "in_progress"
    DONE = "done"


class DeliveryStatus(enum.StrEnum):
    """Where one message stands in the delivery log."""

    PENDING = "pending"
    HELD = "held"  # due outside working hours/days; sent at the next allowed time
    QUEUED = "queued"  # over its endpoint's rate limit: waits its turn (due_at), never dropped
    DIGESTED = (
        "digested"  # for a contact who reads a daily digest: carried by one (digest_id), never sent alone
    )
    SENDING = "sending"  # claimed by a sender; stays so only if the process died mid-send (in doubt)
    SENT = "sent"
    FAILED = "failed"
    # The process that claimed it died during the send: it may have arrived. Never resent by itself, and
    # by ``notifications --resend`` only when named (--id) or asked for (--include-in-doubt).
    IN_DOUBT = "in_doubt"


class TokenRole(enum.StrEnum):
    """What an API token may do."""

    UNIT = "unit"
    COORDINATOR = "coordinator"
    LEADER = "leader"


class MessageKind(enum.StrEnum):
    """What a message in the delivery log is about (``Delivery.kind``)."""

    REMINDER = "reminder"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    MISSING_REPORT = "missing_report"
    DIGEST = "digest"
    DAILY_DIGEST = "daily_digest"  # one message a working day carrying a contact's items (Delivery.digest_id)
    ESCALATION = "escalation"
    ACK_REMINDER = "ack_reminder"  # to the lead unit: its 签收 is pending past Settings.ack_chase_after
    ASSESSMENT = "assessment"  # a period's 考评 result: the ranking to leaders, its own score to each unit
    CALENDAR = "calendar"  # to the coordinator's office: next year's holiday arrangement is not imported
    RUN_FAILED = "run_failed"  # to the coordinator's office: a scheduled run failed or crashed
    TEST = "test"  # a coordinator's test message to one contact (the desk's contacts page: 测试发送)


class EventKind(enum.StrEnum):
    """What a ``StatusEvent`` records (``StatusEvent.kind``)."""

    STATUS = "status"  # the measure's stored status moved (from → to)
    STATE = "state"  # a check_measure run saw the derived state change
    ESCALATION = "escalation"  # a step of the 督办 ladder was reached
    REPORT = "report"  # a progress report was recorded (to: the claimed status)
    REVIEW = "review"  # a coordinator's 销号, 退回 or reopening
    PLAN = "plan"  # a plan load or edit added, changed, restored or removed the measure

    # A fact of the measure set in the ledger, not by a plan (from: the field, see ``LEDGER_FIELDS``):
    # a later plan load keeps it unless told to take the plan's (``--take-plan FIELD``).
    EDIT = "edit"


class DraftStatus(enum.StrEnum):
    """Where a notice draft (通报草稿) stands on the editorial path."""

    DRAFTING = "drafting"  # being edited; awaits the leader's decision
    RETURNED = "returned"  # the leader sent it back with a note (an edit makes it drafting again)
    APPROVED = "approved"  # 审核签发: ready to publish (an edit withdraws the approval)
    PUBLISHED = "published"  # numbered and written; never changes again


class DraftDecision(enum.StrEnum):
    """A leader's decision on a draft."""

    APPROVE = "approve"
    RETURN = "return"
