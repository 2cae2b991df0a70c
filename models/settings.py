"""The one settings object: the only reader of the environment (prefix ``ZHENGGAI_``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from models.clock import Clock
    from models.holiday_arrangement import HolidayArrangement
    from models.workdays import ChinaCalendar, WorkingCalendar


def _default_fonts_dir() -> Path:
    """``$XDG_CACHE_HOME/zhenggai/fonts`` (``~/.cache/zhenggai/fonts``): where .ci/fandol-fonts puts the fonts."""
    import os

    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "zhenggai" / "fonts"


class Settings(BaseSettings):
    """Zhenggai's configuration, read once from ``ZHENGGAI_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="ZHENGGAI_", env_file=None, extra="ignore")

    data_dir: Path = Field(
        default=Path(".zhenggai"), description="Where the SQLite file, evidence and notices live."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is a SQLite file in the data directory."
    )
    fonts_dir: Path = Field(
        default_factory=_default_fonts_dir,
        description="Extra fonts for the PDF notice (the Fandol fonts, see docs/notice.md); absent is fine.",
    )
    timezone: str = Field(
        default="Asia/Shanghai", description="Zone in which dates are shown and schedules run."
    )
    auto_migrate: bool = Field(
        default=True, description="Upgrade the schema when a command opens an older database; else refuse."
    )

    # Working-day calendar for a year without official data (imported or in chinesecalendar): the holidays
    # fixed by law and weekends (provisional), Monday–Friday (provisional), or fail.
    calendar_fallback: Literal["statutory", "weekends", "error"] = "statutory"

    # Derived state and reminders.
    due_soon_workdays: int = 5
    reminder_offsets: list[int] = Field(default_factory=lambda: [5, 3, 1, 0])
    reminder_hour: time = time(9, 0)
    quiet_start: time = time(8, 30)
    quiet_end: time = time(18, 0)
    quiet_hours_by_wall_clock: bool = Field(
        default=True,
        description="Judge quiet hours at sending by the wall clock, whatever --as-of says (a back-dated "
        "sweep at 04:23 sends nothing until the quiet hours end).",
    )
    # Escalation ladder: working days overdue before the leader (蓝), coordinator (黄) and head (红) are told.
    escalate_leader_after: int = 3
    escalate_coordinator_after: int = 7
    escalate_head_after: int = 15
    delivery_retries: int = 3
    delivery_retry_delay_seconds: float = 2.0
    delivery_concurrency: int = 32

    # Report intake.
    evidence_max_bytes: int = 20 * 1024 * 1024
    api_max_request_bytes: int | None = Field(
        default=None,
        description="Cap on any API request body, chunked uploads included (default: the evidence "
        "files a report may carry, plus 1 MiB).",
    )
    evidence_allowed_types: list[str] = Field(
        default_factory=lambda: [
            "application/pdf",
            "image/jpeg",
            "image/png",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "application/msword",
            "application/vnd.ms-excel",
            "text/plain",
        ]
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8765

    # Prefect's own variable, read here so that code outside flow runs can tell whether an API is configured.
    prefect_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ZHENGGAI_PREFECT_API_URL", "PREFECT_API_URL")
    )

    # Where `sync` and `serve` put measure deployments when run by workers rather than `serve`.
    work_pool: str = "zhenggai"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)
        return value

    def working_calendar(self, imported: tuple[HolidayArrangement, ...] = ()) -> ChinaCalendar:
        """The official working-day calendar: ``imported`` years (from the ledger) over chinesecalendar's,
        then this configuration's fallback for years without official data.

        The one calendar factory: ``clock`` takes its result unless it is given another calendar.
        """
        from models.workdays import ChinaCalendar

        return ChinaCalendar(fallback=self.calendar_fallback, imported=imported)

    def clock(self, now: datetime | None = None, *, calendar: WorkingCalendar | None = None) -> Clock:
        """The clock every date rule reads, at ``now`` (default: the wall clock) in the configured zone,
        on ``calendar`` (default: ``working_calendar()``)."""
        from models.clock import Clock

        return Clock(
            calendar=calendar if calendar is not None else self.working_calendar(),
            timezone=self.timezone,
            now=now if now is not None else datetime.now(UTC),
            due_soon_workdays=self.due_soon_workdays,
        )

    def environment_secret(self, name: str) -> str | None:
        """A secret a plan names as ``env:NAME`` (an Apprise URL or token kept out of the plan file)."""
        import os

        return os.environ.get(name)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'zhenggai.db').resolve()}"

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def notices_dir(self) -> Path:
        return self.data_dir / "notices"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the environment."""
    return Settings()
