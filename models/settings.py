"""The one settings object: the only reader of the environment (prefix ``ZHENGGAI_``)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from models.rate_limits import DEFAULT_PER_MINUTE

if TYPE_CHECKING:
    from models.clock import Clock
    from models.holiday_arrangement import HolidayArrangement
    from models.workdays import ChinaCalendar, WorkingCalendar


def _default_fonts_dir() -> Path:
    """``$XDG_CACHE_HOME/zhenggai/fonts`` (``~/.cache/zhenggai/fonts``): where .ci/fandol-fonts puts the fonts."""
    import os

    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "zhenggai" / "fonts"


DATA_DIR_NAME = ".zhenggai"


def find_data_dir(start: Path | None = None) -> Path:
    """The data directory the way git finds its folder: the nearest ``.zhenggai/`` in ``start`` (default:
    the current directory) or above it; ``./.zhenggai`` (not created here) when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / DATA_DIR_NAME).is_dir():
            return folder / DATA_DIR_NAME
    return Path(DATA_DIR_NAME)


class Settings(BaseModel):
    """Zhenggai's configuration, read once from ``ZHENGGAI_*`` environment variables."""

    # Read as pydantic-settings read it (``environment_values``), without importing pydantic-settings: its
    # import (asyncio, the cloud secret sources) was a tenth of every command's start-up.
    model_config = ConfigDict(extra="ignore", validate_default=True, arbitrary_types_allowed=True)

    def __init__(self, **values: Any) -> None:
        """The environment's ``ZHENGGAI_*`` values, under the ``values`` given (which win)."""
        super().__init__(**{**environment_values(type(self)), **values})

    data_dir: Path = Field(
        default_factory=find_data_dir,
        description="Where the SQLite file, evidence and notices live (default: the nearest .zhenggai/ "
        "in the current directory or above, else ./.zhenggai).",
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
    # When a contact's daily digest is due (local time, working days; sent by the first sweep from then on).
    digest_hour: time = time(9, 0)
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
    # The 督办单 each step 蓝/黄/红 issues (docs/notifications.md): its 机关代字 (督办 → 督办〔2026〕12号), the
    # working days the unit has to reply, and who signs it (default: the round's coordinator's unit, else the
    # coordinator, else 督办室).
    # The silence ladder: consecutive report periods a unit misses before the leader (蓝), the coordinator
    # (黄) and the head (红) are told, each step issuing its 督办单.
    silence_leader_after: int = Field(default=2, ge=2)
    silence_coordinator_after: int = Field(default=3, ge=2)
    silence_head_after: int = Field(default=4, ge=2)
    # Co-units' contacts also get each measure's reminders, due-today and 逾期 messages (您单位配合的…).
    notify_co_units: bool = False
    duban_code: str = "督办"
    duban_reply_workdays: int = Field(default=5, ge=1)
    duban_issuer: str = ""
    # A lead unit's 签收 pending this many working days is chased: a reminder, then the ladder (0: off).
    ack_chase_after: int = Field(default=0, ge=0)
    # Keep each 督办单 as a PDF too (beside its DOCX) when LibreOffice is installed.
    duban_pdf: bool = True
    delivery_retries: int = 3
    delivery_retry_delay_seconds: float = 2.0
    delivery_concurrency: int = 32
    # Messages a minute per endpoint, by Apprise scheme (models.rate_limits); a contact's rate_limit wins.
    rate_limits: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_PER_MINUTE))

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
            "image/heic",
            "image/heif",
            "application/ofd",
            "application/wps-office.wps",
            "application/wps-office.et",
        ]
    )
    api_host: str = "127.0.0.1"
    api_port: int = 8765

    # Tokens and the units' portal (docs/portal.md).
    unit_token_days: int = Field(default=180, ge=1, description="A unit token's lifetime unless --expires.")
    role_token_days: int = Field(default=30, ge=1, description="A coordinator or leader token's lifetime.")
    public_url: str | None = Field(
        default=None, description="Where units reach the portal (https://zhenggai.example.gov.cn)."
    )
    link_ttl: timedelta = Field(default=timedelta(days=7), description="How long a sign-in link works.")
    session_ttl: timedelta = Field(
        default=timedelta(hours=12), description="How long a portal session lasts."
    )

    # Prefect's own variable, read here so that code outside flow runs can tell whether an API is configured.
    prefect_api_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ZHENGGAI_PREFECT_API_URL", "PREFECT_API_URL")
    )
    # Prefect's UI (PREFECT_UI_URL): the desk links each measure to its deployment and last run there.
    prefect_ui_url: str | None = Field(
        default=None, validation_alias=AliasChoices("ZHENGGAI_PREFECT_UI_URL", "PREFECT_UI_URL")
    )

    # The work pool measure deployments are run from (workers: `zhenggai worker --pool NAME`); every
    # sync (CLI, review, API, serve, the housekeeping flow) puts them there. Unset: `zhenggai serve` runs
    # them, and a sync leaves each deployment in the pool it is in.
    work_pool: str | None = None
    # How many flow runs `zhenggai serve` runs at once (each is a process; more wait their turn), and the
    # work pool's concurrency limit a sync sets on the worker path. None or 0: no limit.
    flow_run_limit: int | None = 4
    # `zhenggai serve` and `zhenggai worker` start each check's process forked from a server that imported
    # Prefect and the check once (flows.warm_start); false: Prefect's default, a new interpreter for each run.
    warm_starts: bool = True

    # The editorial path of the notice: the 机关代字 of published numbers (新城执党 → 新城执党〔2026〕3号) and
    # how long a draft_notice run waits for the leader's decision (审核签发).
    notice_code: str = ""
    approval_days: float = 10

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' is not an http:// or https:// URL")
        return value

    @field_validator("link_ttl", "session_ttl", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        """7d, 12h, 30m, 90s or a number of seconds (ISO 8601 ``P7D`` works too)."""
        if isinstance(value, str):
            text = value.strip().lower()
            units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
            if text[-1:] in units and text[:-1].strip().isdigit():
                return timedelta(**{units[text[-1]]: int(text[:-1])})
        return value

    @property
    def public_https(self) -> bool:
        """Whether the public URL is https (the session cookie is then Secure)."""
        return bool(self.public_url and self.public_url.startswith("https://"))

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
    def sqlite_path(self) -> Path | None:
        """The SQLite file the database URL names (None for another backend or an in-memory database)."""
        url = self.resolved_database_url
        if not url.startswith("sqlite"):
            return None
        path = url.split("///", 1)[-1]
        return Path(path) if path and path != ":memory:" else None

    @property
    def ledger_implicit(self) -> bool:
        """Whether the environment names no ledger (neither ZHENGGAI_DATABASE_URL nor ZHENGGAI_DATA_DIR):
        it is then found from the current directory, which a worker's flow run does not share."""
        return not {"database_url", "data_dir"} & self.model_fields_set

    @property
    def evidence_dir(self) -> Path:
        return self.data_dir / "evidence"

    @property
    def notices_dir(self) -> Path:
        return self.data_dir / "notices"

    @property
    def duban_dir(self) -> Path:
        """Where the 督办单 files lie (``duban/<year>/<serial>.<fmt>`` under the data directory)."""
        return self.data_dir / "duban"


ENV_PREFIX = "ZHENGGAI_"


def environment_values(model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` the environment sets: ``ZHENGGAI_<FIELD>`` in any letter case, or the field's
    own names (``PREFECT_API_URL``); a list or a dict is written as JSON (``ZHENGGAI_REMINDER_OFFSETS=[5,1]``).
    Unknown ``ZHENGGAI_*`` variables are ignored."""
    import os

    environment = {key.lower(): value for key, value in os.environ.items()}
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        names = [str(choice) for choice in alias.choices] if isinstance(alias, AliasChoices) else []
        for env_name in names or [f"{ENV_PREFIX}{name}"]:
            raw = environment.get(env_name.lower())
            if raw is None:
                continue
            key = env_name if names else name  # a field with its own names is validated by them
            values[key] = _json_value(env_name, raw) if _is_complex(field.annotation) else raw
            break
    return values


def _is_complex(annotation: Any) -> bool:
    return get_origin(annotation) in (list, dict, set, tuple, frozenset)


def _json_value(env_name: str, raw: str) -> Any:
    import json

    try:
        return json.loads(raw)
    except ValueError as error:
        raise ValueError(f"{env_name.upper()} is not JSON ({error}): {raw!r}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing the environment.
    A value that cannot be used is a ``BadSetting`` naming its variable (the front doors print it)."""
    from pydantic import ValidationError

    from models.errors import BadSetting

    try:
        return Settings()
    except ValidationError as error:
        problems = [
            f"{_variable(str(issue['loc'][0]) if issue['loc'] else '')}: {issue['msg']}"
            for issue in error.errors()
        ]
        raise BadSetting("; ".join(problems)) from None
    except ValueError as error:  # a list or a dict that is not JSON (``_json_value``)
        raise BadSetting(str(error)) from None


def _variable(field: str) -> str:
    """The environment variable a field (or an alias of it) is read from, with its value when set."""
    import os

    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    names = [str(choice) for choice in alias.choices] if isinstance(alias, AliasChoices) else []
    name = next((n for n in names if n.upper() in os.environ), None) if names else None
    name = (name or (names[0] if names else f"{ENV_PREFIX}{field}")).upper()
    value = os.environ.get(name)
    return f"{name}={value}" if value is not None else name
