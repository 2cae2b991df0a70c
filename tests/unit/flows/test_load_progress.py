"""The load progress bar: shown on a terminal once a load has taken longer than its threshold, else silent."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

import flows.cli.common as common


def _terminal(monkeypatch: pytest.MonkeyPatch, *, terminal: bool) -> io.StringIO:
    out = io.StringIO()
    monkeypatch.setattr(common, "err_console", Console(file=out, force_terminal=terminal, width=80))
    return out


def test_a_load_past_the_threshold_shows_a_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = _terminal(monkeypatch, terminal=True)

    with common.LoadProgress("reports.yaml: recording", after_seconds=0) as bar:
        tick = bar.start(3)
        for _ in range(3):
            tick()

    assert "reports.yaml: recording" in out.getvalue() and "3/3" in out.getvalue()


@pytest.mark.parametrize(("terminal", "after"), [(True, 3600.0), (False, 0.0)])
def test_a_short_load_or_no_terminal_shows_nothing(
    monkeypatch: pytest.MonkeyPatch, terminal: bool, after: float
) -> None:
    out = _terminal(monkeypatch, terminal=terminal)

    with common.LoadProgress("plan", after_seconds=after) as bar:
        tick = bar.start(2)
        tick()
        tick()

    assert out.getvalue() == ""
