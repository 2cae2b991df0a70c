"""Errors named for the business condition. Front doors (CLI, web) turn them into user messages.

Kept free of third-party imports so that the CLI can import it at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass


class ZhenggaiError(Exception):
    """Base of every error a user can cause or fix."""


class BadSetting(ZhenggaiError):
    """A ``ZHENGGAI_*`` (or ``PREFECT_API_URL``) value in the environment that cannot be used."""


@dataclass(frozen=True)
class PlanIssue:
    """One thing wrong in an input file: where (``plan.yaml:12`` or ``Sheet1!F12``), which field, what."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.where}:{field} {self.message}"


class BackupRefused(ZhenggaiError):
    """A restore target is not empty, or an archive is not a Zhenggai backup this version can restore."""


class NoLedger(ZhenggaiError):
    """No ledger where this command looks, and the command does not create one."""


class RemovalsRefused(ZhenggaiError):
    """A load would remove owners, deadlines, cadences or measures and was not allowed to; nothing was written."""

    def __init__(self, removals: list[str], diff: list[str]) -> None:
        self.removals, self.diff = removals, diff
        lines = "\n".join(f"  {line}" for line in removals)
        super().__init__(
            f"this load would remove {len(removals)} owner(s), deadline(s), cadence(s) or measure(s); "
            f"nothing was written (see them with --dry-run; load anyway with --allow-removals):\n{lines}"
        )


class InvalidPlan(ZhenggaiError):
    """A plan (YAML, notice or 台账) has errors; nothing was written."""

    def __init__(self, issues: list[PlanIssue], source: str = "") -> None:
        self.issues = issues
        self.source = source
        head = f"{source}: " if source else ""
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{head}{len(issues)} error(s), nothing was written:\n{lines}")


class UnknownRound(ZhenggaiError):
    """No inspection round has this code."""


class UnknownUnit(ZhenggaiError):
    """No owner unit has this code or name."""


class UnknownMeasure(ZhenggaiError):
    """No measure has this code."""


class MeasureNotInLedger(UnknownMeasure):
    """A scheduled check names a measure the ledger its run opened does not hold (or there is no ledger)."""


class InvalidSchedule(ZhenggaiError):
    """A cadence is neither an accepted phrase, a cron expression nor an RRule."""


class InvalidDeadline(ZhenggaiError):
    """A deadline is neither a date, a number of working days nor 长期坚持."""


class CalendarNotPublished(ZhenggaiError):
    """The official working-day calendar for that year is not published (or not in the library yet)."""


class InvalidHolidayArrangement(InvalidPlan):
    """A holiday arrangement (the State Council's notice or its YAML form) cannot be read; nothing was stored."""


class InvalidTransition(ZhenggaiError):
    """A measure cannot move from its status to the one asked for."""


class InvalidReport(ZhenggaiError):
    """A progress report is malformed (empty text, non-numeric metric, future period…)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SchemaBehind(ZhenggaiError):
    """The database schema is older than this code and automatic migration is off."""


class MissingReports(ZhenggaiError):
    """A notice was asked for strictly and some measures have no report as of its date."""

    def __init__(self, missing: list[str], as_of: str) -> None:
        self.missing = missing
        lines = "\n".join(f"  {item}" for item in missing)
        super().__init__(
            f"{len(missing)} measure(s) have no report as of {as_of}; nothing was written:\n{lines}"
        )


class PdfUnavailable(ZhenggaiError):
    """LibreOffice (soffice) is not installed or failed, so the notice cannot be converted to PDF."""


class UnknownToken(ZhenggaiError):
    """No live API token has this id or label."""


class InvalidTokenRequest(ZhenggaiError):
    """A token was asked for with a role and unit that do not fit together."""


class InvalidReview(ZhenggaiError):
    """A review is missing its note or reason."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class ReviewStepMissing(ZhenggaiError):
    """A round's review step is not the one this claim awaits (销号 before the confirmation, or a
    confirmation where none is due)."""


class SameReviewer(ZhenggaiError):
    """One person would take two review steps of one done claim (four-eyes)."""


class EvidenceTooLarge(InvalidReport):
    """An evidence file is larger than ``Settings.evidence_max_bytes``."""


class EvidenceTypeRefused(InvalidReport):
    """An evidence file's type is not allowed, or its bytes do not match its name."""


class DuplicateReport(ZhenggaiError):
    """A report with this idempotency key was already recorded."""

    def __init__(self, key: str, report_id: int) -> None:
        self.key = key
        self.report_id = report_id
        super().__init__(f"idempotency key '{key}' was already used by report #{report_id}")


class Forbidden(ZhenggaiError):
    """The token may not do this (the API answers 403, naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class UnknownContact(ZhenggaiError):
    """No contact has this code."""


class ContactUnreachable(ZhenggaiError):
    """A contact has no Apprise URL to send a message to."""


class UnresolvedUrl(ZhenggaiError):
    """A contact's ``env:``/``secret:`` URL reference cannot be resolved where the message is sent."""


class DeliveryIncomplete(ZhenggaiError):
    """Some messages of a delivery batch failed and have attempts left (the task run is retried)."""


class InvalidPeriod(ZhenggaiError):
    """An assessment period is neither an ISO week (2026-W48) nor a month (2026-11), or cannot be used so."""


class InvalidFormula(InvalidPlan):
    """An assessment formula (考评计分办法) has errors; nothing was written."""


class InvalidAdjustment(ZhenggaiError):
    """A bonus or deduction (加减分) lacks its reason, or its points are not a number the ledger keeps."""


class PeriodNotClosed(ZhenggaiError):
    """An assessment period cannot be closed (snapshot) before it has ended."""


class ChartUnavailable(ZhenggaiError):
    """A chart cannot be drawn: Pillow or the CJK fonts the PDF uses are missing."""


class UnknownChart(ZhenggaiError):
    """A chart was asked for by a name or in a format the desk does not draw."""


class UnsupportedFormat(ZhenggaiError):
    """A document was asked for in a format, or to a place, Zhenggai cannot write."""


class UnknownDraft(ZhenggaiError):
    """No notice draft (通报草稿) has this number."""


class DraftLocked(ZhenggaiError):
    """A draft cannot take this step in its state (edit or decide a published draft, publish an unapproved one)."""


class InvalidDraftEdit(ZhenggaiError):
    """An edit names a paragraph the draft does not have, or brings no text."""


class UnknownNoticeVersion(ZhenggaiError):
    """No recorded version of the round's notice has this number (or not in this format)."""


class NoticeFileGone(ZhenggaiError):
    """A recorded notice version's file is missing, or was overwritten by a later version."""


class DuplicateNoticeNumber(ZhenggaiError):
    """A publication number (发文字号) is already taken, or is not of the form 〔2026〕3号."""


class UnknownDubanSheet(ZhenggaiError):
    """No 督办单 carries the number asked for."""


class InvalidDubanReply(ZhenggaiError):
    """A reply to a 督办单 cannot be recorded (neither text nor a report, a report not on its measure…)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class InvalidExtensionRequest(ZhenggaiError):
    """A 延期申请 cannot be recorded or decided (no reason, a date not later, one already pending…)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class PortInUse(ZhenggaiError):
    """The port ``zhenggai serve`` would start its local Prefect server on is taken."""


class DatabaseUnavailable(ZhenggaiError):
    """The configured database does not answer, or its URL cannot be used; nothing was done."""


class PrefectUnavailable(ZhenggaiError):
    """PREFECT_API_URL is set but the Prefect API there does not answer; nothing was run."""


class UnusableWorkPool(ZhenggaiError):
    """The work pool a worker would poll does not exist on the Prefect API, or is not a process pool."""


class WorkerFailed(ZhenggaiError):
    """``zhenggai worker`` stopped on an error its loops did not recover from (named in the message)."""


class MessagesFailed(ZhenggaiError):
    """Some messages of a sweep or a re-send failed (they are in the delivery log); the command exits 1."""
