"""docs/assessment.md's worked example: its records, computed with the default formula, give its tables."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from models.assessment import (
    Adjustment,
    Colour,
    EscalationRecord,
    ReportPeriodRecord,
    ReviewDecision,
    ReviewRecord,
    Role,
    ShareRecord,
    UnitRecord,
    parse_period,
)
from models.assessment_formula import assess
from models.periods import ReportOutcome
from tasks.assessment.formula import DEFAULT_FORMULA_FILE, default_formula
from tasks.assessment.text import explain_text, ranking_text

DOC = Path(__file__).resolve().parents[4] / "docs" / "assessment.md"


def _block(marker: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```\w*\n(.*?)```", text, re.DOTALL)
    assert match, f"docs/assessment.md has no block marked {marker}"
    return match.group(1)


def _moment(value: str, zone: ZoneInfo) -> datetime:
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M").replace(tzinfo=zone)


def example_units(data: dict[str, Any]) -> list[UnitRecord]:
    """The example's records as the gatherer would build them from the ledger."""
    zone = ZoneInfo(data["timezone"])
    shares: dict[str, list[ShareRecord]] = {}
    for item in data["shares"]:
        share = ShareRecord(
            measure_code=item["measure"],
            unit_code=item["unit"],
            role=Role(item["role"]),
            deadline=item.get("deadline"),
            original_deadline=item.get("deadline"),
            report_periods=tuple(
                ReportPeriodRecord(
                    _moment(p["start"], zone),
                    _moment(p["due"], zone),
                    ReportOutcome(p["outcome"]),
                    _moment(p["reported_at"], zone) if p.get("reported_at") else None,
                )
                for p in item.get("report_periods", [])
            ),
            completed_at=_moment(item["completed_at"], zone) if item.get("completed_at") else None,
            overdue_days=tuple(item.get("overdue_days", [])),
            escalations=tuple(
                EscalationRecord(_moment(e["at"], zone), Colour(e["colour"]))
                for e in item.get("escalations", [])
            ),
            reviews=tuple(
                ReviewRecord(_moment(r["at"], zone), ReviewDecision(r["decision"]))
                for r in item.get("reviews", [])
            ),
            due_in_period=bool(item.get("deadline") and isinstance(item["deadline"], date)),
            collective=item.get("collective"),
        )
        shares.setdefault(item["unit"], []).append(share)
    adjustments: dict[str, list[Adjustment]] = {}
    for item in data.get("adjustments", []):
        adjustments.setdefault(item["unit"], []).append(
            Adjustment(Decimal(str(item["points"])), item["reason"], item["actor"], _moment(item["at"], zone))
        )
    return [
        UnitRecord(
            code=u["code"],
            name=u["name"],
            kind=u["kind"],
            shares=tuple(shares.get(u["code"], [])),
            adjustments=tuple(adjustments.get(u["code"], [])),
        )
        for u in data["units"]
    ]


def test_the_worked_example_computes_to_the_tables_the_docs_show() -> None:
    data = yaml.safe_load(_block("worked-example: records"))
    period = parse_period(data["period"])
    ranking = assess(
        example_units(data), default_formula(), period, round_code=data["round"], timezone=data["timezone"]
    )
    assert ranking_text(ranking) == _block("worked-example: ranking")
    zhifa = ranking.score_of("zhifa")
    assert zhifa is not None
    assert explain_text(zhifa, ranking, data["timezone"]) == _block("worked-example: explain zhifa")
    chengguan = ranking.score_of("chengguan")
    assert chengguan is not None
    assert explain_text(chengguan, ranking, data["timezone"]) == _block("worked-example: explain chengguan")


def test_the_docs_show_the_default_formula_file_as_it_ships() -> None:
    assert _block("default-formula") == DEFAULT_FORMULA_FILE.read_text(encoding="utf-8")
