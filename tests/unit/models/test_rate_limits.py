"""The per-endpoint rate limit: a sliding window of the last sends, never above the limit, none dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.rate_limits import (
    DEFAULT_PER_MINUTE,
    SPACING,
    WINDOW,
    endpoint_key,
    limit_for,
    schedule,
    take_slot,
)

T0 = datetime(2023, 12, 26, 2, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_an_endpoint_takes_its_limit_then_waits_until_the_oldest_send_leaves_the_window() -> None:
    window: list[datetime] = []
    for n in range(3):
        slot = take_slot(window, 3, at(n))
        assert slot.allowed and slot.next_at == at(n)
        window = list(slot.window)
    full = take_slot(window, 3, at(10))
    # 60 s (the channel's window) and a margin for the send's travel from claim to arrival
    assert WINDOW + timedelta(seconds=2) == SPACING
    assert not full.allowed and full.next_at == at(62) and list(full.window) == window
    assert take_slot(window, 3, at(61.999)).allowed is False
    later = take_slot(window, 3, at(62))
    assert later.allowed and list(later.window) == [at(1), at(2), at(62)]


def test_never_more_than_the_limit_in_any_sixty_seconds() -> None:
    moments = schedule([], 20, T0, 95)
    assert len(moments) == 95 and moments == sorted(moments)
    for moment in moments:
        assert sum(1 for m in moments if moment <= m < moment + WINDOW) <= 20
    # a minute's boundary lets no second burst through: the 21st goes a full spacing after the 1st
    assert moments[19] == T0 and moments[20] == T0 + SPACING
    assert moments[-1] == T0 + 4 * SPACING


def test_sends_before_a_restart_count_and_old_ones_do_not() -> None:
    window = [at(-70), at(-30), at(-10)]
    assert schedule(window, 2, T0, 2) == [at(32), at(52)]


def test_limits_per_scheme_and_per_contact() -> None:
    assert limit_for("wecombot", None, DEFAULT_PER_MINUTE) == 20
    assert limit_for("dingtalk", None, DEFAULT_PER_MINUTE) == 20
    assert limit_for("mailtos", None, DEFAULT_PER_MINUTE) == 30
    assert limit_for("json", None, DEFAULT_PER_MINUTE) is None  # one's own webhook: not limited
    assert limit_for("json", 5, DEFAULT_PER_MINUTE) == 5  # the contact's own limit wins
    assert limit_for("dingtalk", 0, DEFAULT_PER_MINUTE) is None  # 0: not limited


def test_an_endpoint_is_named_by_a_hash_never_its_token() -> None:
    url = "dingtalk://secret-token-1234/"
    assert endpoint_key(url) == endpoint_key(f"  {url} ") and "secret" not in endpoint_key(url)
    assert endpoint_key(url) != endpoint_key("dingtalk://other/")


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        take_slot([], 0, T0)
