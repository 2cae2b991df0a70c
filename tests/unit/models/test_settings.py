"""The settings read the environment as pydantic-settings did: ``ZHENGGAI_<FIELD>`` in any letter case,
a field's own names, JSON for lists and dicts, the values given in code winning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from models.settings import Settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.upper().startswith(("ZHENGGAI_", "PREFECT_API_URL", "PREFECT_UI_URL")):
            monkeypatch.delenv(name)


def test_the_environment_sets_fields_in_any_case_lists_and_dicts_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ZHENGGAI_TIMEZONE", "UTC")
    monkeypatch.setenv("zhenggai_due_soon_workdays", "2")
    monkeypatch.setenv("ZHENGGAI_REMINDER_OFFSETS", "[3, 1]")
    monkeypatch.setenv("ZHENGGAI_RATE_LIMITS", '{"mailto": 5}')
    monkeypatch.setenv("ZHENGGAI_LINK_TTL", "3d")
    monkeypatch.setenv("ZHENGGAI_AUTO_MIGRATE", "false")
    monkeypatch.setenv("ZHENGGAI_NOT_A_SETTING", "ignored")

    settings = Settings()

    assert settings.timezone == "UTC" and settings.due_soon_workdays == 2
    assert settings.reminder_offsets == [3, 1] and settings.rate_limits == {"mailto": 5}
    assert settings.link_ttl == timedelta(days=3) and settings.auto_migrate is False


def test_prefects_own_variable_is_read_and_the_zhenggai_one_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert Settings().prefect_api_url == "http://127.0.0.1:4200/api"

    monkeypatch.setenv("ZHENGGAI_PREFECT_API_URL", "http://prefect.internal/api")
    assert Settings().prefect_api_url == "http://prefect.internal/api"


def test_values_given_in_code_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGGAI_TIMEZONE", "Asia/Tokyo")

    assert Settings(timezone="UTC").timezone == "UTC"


def test_a_bad_value_is_refused_naming_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHENGGAI_SILENCE_LEADER_AFTER", "1")
    with pytest.raises(ValidationError, match="silence_leader_after"):
        Settings()
    monkeypatch.delenv("ZHENGGAI_SILENCE_LEADER_AFTER")

    monkeypatch.setenv("ZHENGGAI_RATE_LIMITS", "{mailto: 5}")
    with pytest.raises(ValueError, match="ZHENGGAI_RATE_LIMITS is not JSON"):
        Settings()


def test_the_defaults_are_validated_too() -> None:
    settings = Settings()

    assert settings.timezone == "Asia/Shanghai" and settings.reminder_offsets == [5, 3, 1, 0]


def test_an_unusable_environment_is_one_named_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the front doors print instead of pydantic's traceback: the variable, its value, what is wrong."""
    from models.errors import BadSetting
    from models.settings import get_settings

    monkeypatch.setenv("ZHENGGAI_DIGEST_HOUR", "25:00")
    get_settings.cache_clear()
    try:
        with pytest.raises(BadSetting, match=r"^ZHENGGAI_DIGEST_HOUR=25:00: Input should be in a valid time"):
            get_settings()
        monkeypatch.delenv("ZHENGGAI_DIGEST_HOUR")
        monkeypatch.setenv("ZHENGGAI_REMINDER_OFFSETS", "abc")
        get_settings.cache_clear()
        with pytest.raises(BadSetting, match="ZHENGGAI_REMINDER_OFFSETS is not JSON"):
            get_settings()
    finally:
        get_settings.cache_clear()
