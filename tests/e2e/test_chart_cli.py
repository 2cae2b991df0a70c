"""``zhenggai chart`` on the seed's ledger: each desk chart written as PNG (for documents) or SVG, wrong input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from models.db import Database

Cli = Callable[..., Any]
ROUND = "xinhua-2023-xc2"


@pytest.mark.usefixtures("seeded_database")
@pytest.mark.parametrize("name", ["completion", "lights", "trend"])
def test_each_chart_is_written_as_a_png_of_the_documents_width(cli: Cli, tmp_path: Path, name: str) -> None:
    from PIL import Image

    from tasks.charts.desk_png import TREND_HEIGHT, WIDTH, bars_height

    target = tmp_path / f"{name}.png"
    result = cli("chart", name, "--round", ROUND, "--as-of", "2023-12-29", "-o", target)
    assert result.exit_code == 0, result.output
    assert f"{ROUND} (png) → " in result.stdout
    with Image.open(target) as picture:
        picture.load()
        width, height = picture.size
    assert width == WIDTH
    assert height == TREND_HEIGHT if name == "trend" else height >= bars_height(2)


def test_the_trend_as_svg_runs_weekly_from_the_feedback_date(
    cli: Cli, seeded_database: Database, tmp_path: Path
) -> None:
    from sqlalchemy import select

    from models.tables import Round
    from models.trend import week_mondays

    target = tmp_path / "趋势.svg"
    result = cli("chart", "trend", "--round", ROUND, "--as-of", "2023-12-29", "-o", target)
    assert result.exit_code == 0, result.output
    svg = ET.fromstring(target.read_bytes())
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "已完成" in texts and "逾期" in texts and "未按期报送" in texts
    with seeded_database.unit_of_work() as session:
        feedback = session.scalar(select(Round.feedback_date).where(Round.code == ROUND))
    assert feedback is not None
    weeks = week_mondays(feedback, date(2023, 12, 29))
    circles = list(svg.iter("{http://www.w3.org/2000/svg}circle"))
    assert len(circles) == 3 * len(weeks)


@pytest.mark.usefixtures("seeded_database")
def test_a_wrong_name_suffix_or_folder_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    wrong = cli("chart", "pie", "-o", tmp_path / "x.png")
    assert wrong.exit_code == 1 and "error: 'pie' is not a chart: completion, lights, trend" in wrong.output
    suffix = cli("chart", "trend", "-o", tmp_path / "x.gif")
    assert suffix.exit_code == 1 and "a chart is drawn as svg or png, not 'gif'" in suffix.output
    folder = cli("chart", "trend", "-o", tmp_path / "missing" / "x.png")
    assert folder.exit_code == 1 and "cannot write" in folder.output
    assert not (tmp_path / "x.gif").exists()
