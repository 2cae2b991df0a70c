"""Every notice of the corpus (tests/data/notices/) imported and compared with its expected file: problems,
measures, outcomes, statistics, dates, contact, and the lines that could not be placed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.exchange.notice_parser import parse_source
from tasks.exchange.notice_source import read_notice_file
from tests.support.notices import as_expected

CORPUS = Path(__file__).resolve().parents[3] / "data" / "notices"
NOTICES = sorted(path for path in CORPUS.iterdir() if path.suffix in (".txt", ".docx", ".html"))


@pytest.fixture(scope="module", params=NOTICES, ids=lambda path: path.name)
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    notice: Path = request.param
    want = yaml.safe_load(notice.with_name(f"{notice.stem}.expected.yaml").read_text(encoding="utf-8"))
    return as_expected(parse_source(read_notice_file(notice))), want


def test_header_and_preamble(case):
    found, want = case
    for key in ("issuer", "title", "preamble", "inspecting_body"):
        assert found[key] == want[key], key
    if "published" in want:  # web pages
        assert found["published"] == want["published"]


def test_dates(case):
    found, want = case
    assert found["dates"] == want["dates"]


def test_problems_measures_and_outcomes(case):
    found, want = case
    assert found["problems"] == want["problems"]


def test_statistics(case):
    found, want = case
    assert found["statistics"] == want["statistics"]


def test_contact_and_signature(case):
    found, want = case
    assert (found["contact"], found["signature"]) == (want["contact"], want["signature"])


def test_unplaced_lines_and_warnings(case):
    found, want = case
    assert found["unplaced"] == want["unplaced"]
    assert found["warnings"] == want.get("warnings", [])
