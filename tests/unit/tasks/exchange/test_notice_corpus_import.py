"""Every notice of the corpus (tests/data/notices/) imported and compared with its expected file: problems,
measures, outcomes, statistics, dates, contact, and the lines that could not be placed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.exchange.notice_parser import ParsedNotice, Unplaced, parse_source
from tasks.exchange.notice_source import read_notice_file

CORPUS = Path(__file__).resolve().parents[3] / "data" / "notices"
NOTICES = sorted(path for path in CORPUS.iterdir() if path.suffix in (".txt", ".docx", ".html"))
STATISTICS = (
    "problems",
    "completed",
    "in_progress",
    "completion_rate",
    "aspects",
    "rules_made",
    "money_recovered_yuan",
    "people_dealt_with",
)


def expected(notice: Path) -> dict[str, Any]:
    return yaml.safe_load(notice.with_name(f"{notice.stem}.expected.yaml").read_text(encoding="utf-8"))


def _place(item: Unplaced) -> dict[str, Any]:
    position = item.position
    if position.kind == "row":
        return {"table": position.table, "row": position.row, "text": item.text}
    return {position.kind: position.number, "text": item.text}


def read(notice: Path) -> ParsedNotice:
    return parse_source(read_notice_file(notice))


def problems(parsed: ParsedNotice) -> list[dict[str, Any]]:
    found = []
    for problem in parsed.problems:
        item: dict[str, Any] = {
            "ordinal": problem.ordinal,
            "heading": problem.heading,
            "title": problem.title,
            "description": problem.description,
            "label": problem.label,
            "lead_in": problem.outcome_lead_in,
            "measures": [{"marker": m.marker, "text": m.text} for m in problem.measures],
        }
        if problem.ledger is not None:
            item["ledger"] = problem.ledger
        found.append(item)
    return found


@pytest.fixture(scope="module", params=NOTICES, ids=lambda path: path.name)
def case(request: pytest.FixtureRequest) -> tuple[ParsedNotice, dict[str, Any]]:
    return read(request.param), expected(request.param)


def test_header_and_preamble(case):
    parsed, want = case
    assert (parsed.issuing_org, parsed.title) == (want["issuer"], want["title"])
    assert parsed.preamble == want["preamble"]
    assert parsed.inspecting_body == want["inspecting_body"]
    if "published" in want:
        assert parsed.published == want["published"]


def test_dates(case):
    parsed, want = case
    found = {name: getattr(parsed, name) for name in want["dates"]}
    assert found == want["dates"]


def test_problems_measures_and_outcomes(case):
    parsed, want = case
    assert problems(parsed) == want["problems"]


def test_statistics(case):
    parsed, want = case
    found = {name: parsed.statistics.get(name) for name in STATISTICS}
    found["text"] = parsed.statistics.get("text")
    assert found == want["statistics"]


def test_contact_and_signature(case):
    parsed, want = case
    contact = parsed.contact
    found = {name: getattr(contact, name) for name in want["contact"]}
    assert found == want["contact"]
    assert parsed.signature == want["signature"]


def test_unplaced_lines_and_warnings(case):
    parsed, want = case
    assert [_place(item) for item in parsed.unplaced] == want["unplaced"]
    assert [_place(item) for item in parsed.warnings] == want.get("warnings", [])
