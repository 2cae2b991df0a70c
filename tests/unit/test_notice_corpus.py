"""The corpus of published notices (tests/data/notices/): every notice has a parseable expected file that
names only text the notice holds, and together they cover every structure issue 20 lists.

The importer is compared with these expectations by its own tests; here the corpus itself is checked.
"""

from __future__ import annotations

import html
import importlib.util
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.notices import CONTACT, DATES, STATISTICS

CORPUS = Path(__file__).resolve().parents[1] / "data" / "notices"
NOTICE_SUFFIXES = (".txt", ".docx", ".html")
LABELS = {"整改成效", "整改情况", "整改进展", "整改落实情况", "整改结果", "整改措施", None}
TOP_KEYS = {
    "format",
    "issuer",
    "title",
    "preamble",
    "inspecting_body",
    "dates",
    "problems",
    "statistics",
    "contact",
    "signature",
    "unplaced",
}
OPTIONAL_KEYS = {"published", "warnings"}


def notices() -> list[Path]:
    return sorted(path for path in CORPUS.iterdir() if path.suffix in NOTICE_SUFFIXES)


def expected(notice: Path) -> dict[str, Any]:
    path = notice.with_name(f"{notice.stem}.expected.yaml")
    assert path.is_file(), f"{notice.name} has no {path.name}"
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), path.name
    return loaded


def _docx_text(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    import docx

    document = docx.Document(str(path))
    tables = [[[cell.text for cell in row.cells] for row in table.rows] for table in document.tables]
    return [paragraph.text for paragraph in document.paragraphs], tables


def notice_text(notice: Path) -> str:
    """All the text of the notice file, whitespace removed (to look expected strings up in)."""
    if notice.suffix == ".txt":
        text = notice.read_text(encoding="utf-8")
    elif notice.suffix == ".docx":
        paragraphs, tables = _docx_text(notice)
        text = "\n".join(paragraphs + [cell for table in tables for row in table for cell in row])
    else:
        source = notice.read_text(encoding="utf-8")
        source = re.sub(r"<(script|style)\b.*?</\1>", "", source, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", "", source))
    return re.sub(r"\s+", "", text)


def _strings(expectation: dict[str, Any]) -> list[str]:
    """Every text the expected file says the notice holds."""
    found = [expectation["issuer"], expectation["title"], expectation["preamble"], expectation["signature"]]
    found.append(expectation["statistics"]["text"])
    found += [expectation["contact"][key] for key in CONTACT]
    for problem in expectation["problems"]:
        found += [problem["heading"], problem["title"], problem["description"], problem["lead_in"]]
        found += [problem["label"]]
        for measure in problem["measures"]:
            found += [measure["marker"], measure["text"]]
        if "ledger" in problem:
            found += [problem["ledger"]["status"], problem["ledger"]["unit"]]
    found += [item["text"] for item in expectation["unplaced"] + expectation.get("warnings", [])]
    return [text for text in found if text]


def test_the_corpus_holds_at_least_twelve_notices_in_every_format() -> None:
    files = notices()
    assert len(files) >= 12
    suffixes = [path.suffix for path in files]
    assert suffixes.count(".docx") >= 2 and suffixes.count(".html") >= 2 and suffixes.count(".txt") >= 8
    # Nothing in the folder is left without its notice.
    for path in CORPUS.glob("*.expected.yaml"):
        assert any(path.name == f"{notice.stem}.expected.yaml" for notice in files), path.name


@pytest.mark.parametrize("notice", notices(), ids=lambda path: path.name)
def test_every_notice_has_a_parseable_expected_file(notice: Path) -> None:
    expectation = expected(notice)
    assert TOP_KEYS <= set(expectation) <= TOP_KEYS | OPTIONAL_KEYS, set(expectation) ^ TOP_KEYS
    assert expectation["format"] == notice.suffix.lstrip(".")
    assert set(expectation["dates"]) == set(DATES)
    for key in DATES:
        assert expectation["dates"][key] is None or isinstance(expectation["dates"][key], date), key
    assert set(expectation["statistics"]) == {"text", *STATISTICS}
    for key in STATISTICS:
        value = expectation["statistics"][key]
        assert value is None or (isinstance(value, int | float) and not isinstance(value, bool)), key
    assert set(expectation["contact"]) == set(CONTACT)
    for key in CONTACT:
        assert expectation["contact"][key] is None or isinstance(expectation["contact"][key], str), key
    problems = expectation["problems"]
    assert [problem["ordinal"] for problem in problems] == list(range(1, len(problems) + 1))
    for problem in problems:
        assert {"ordinal", "heading", "title", "description", "label", "lead_in", "measures"} <= set(problem)
        assert problem["title"] and not problem["title"].endswith("。"), problem["title"]
        assert problem["label"] in LABELS
        assert problem["measures"], problem["title"]
        for measure in problem["measures"]:
            assert set(measure) == {"marker", "text"} and isinstance(measure["marker"], str)
            assert isinstance(measure["text"], str) and measure["text"]
        unmarked = [m for m in problem["measures"] if not m["marker"]]
        assert not unmarked or len(problem["measures"]) == 1, "an unenumerated outcome is one measure"
    where = "line" if notice.suffix == ".txt" else "paragraph"
    for item in expectation["unplaced"] + expectation.get("warnings", []):
        assert set(item) in ({where, "text"}, {"table", "row", "text"}), item
    if expectation["statistics"]["text"] is None:
        assert all(expectation["statistics"][key] is None for key in STATISTICS)


@pytest.mark.parametrize("notice", notices(), ids=lambda path: path.name)
def test_every_expected_text_is_in_the_notice(notice: Path) -> None:
    expectation = expected(notice)
    text = notice_text(notice)
    for expected_text in _strings(expectation):
        assert re.sub(r"\s+", "", expected_text) in text, expected_text
    if notice.suffix == ".txt":
        lines = notice.read_text(encoding="utf-8").splitlines()
        for item in expectation["unplaced"] + expectation.get("warnings", []):
            assert item["text"] in lines[item["line"] - 1], item
    if notice.suffix == ".docx":
        paragraphs, tables = _docx_text(notice)
        for item in expectation["unplaced"]:
            assert item["text"] in paragraphs[item["paragraph"] - 1], item
        for problem in expectation["problems"]:
            if "ledger" in problem:
                row = tables[0][problem["ledger"]["row"]]
                assert row[1] == problem["title"] and row[3] == problem["ledger"]["status"]


def test_the_corpus_covers_every_structure_of_issue_20() -> None:
    expectations = [expected(notice) for notice in notices()]
    problems = [problem for e in expectations for problem in e["problems"]]
    headings = {re.sub(r"\d+", "1", p["heading"]).replace("二", "一").replace("三", "一") for p in problems}
    assert {"一、", "（一）", "1.", "1、", "（1）", "第一，"} <= headings, headings
    assert {p["label"] for p in problems} == LABELS
    markers = {m["marker"] for p in problems for m in p["measures"]}
    assert {"一是", "一要", "第一", "（1）", "①", "1.", ""} <= markers, markers
    # Titles: 关于“…”的问题, a bold lead sentence (n08, n11), a heading on its own line (n02, n06).
    texts = {
        notice.name: notice.read_text(encoding="utf-8") for notice in notices() if notice.suffix != ".docx"
    }
    assert any(re.search(r"关于“[^”]+”的问题\n", text) for text in texts.values())
    assert "<strong>（一）" in texts["n11_cms_bold_brackets.html"]
    for key in STATISTICS:
        assert any(e["statistics"][key] is not None for e in expectations), key
    assert any(
        e["statistics"]["completion_rate"] is None and e["statistics"]["completed"] for e in expectations
    )
    for key in ("inspection_start", "feedback_date"):
        assert any(e["dates"][key] is None for e in expectations), key
    assert any(all(e["dates"][key] is None for key in DATES) for e in expectations)
    assert len({tuple(k for k in CONTACT[1:] if e["contact"][k]) for e in expectations}) >= 5
    assert any(e["unplaced"] for e in expectations)
    assert any("ledger" in p for p in problems)


def test_the_word_notices_are_what_make_docx_builds(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_docx", CORPUS / "make_docx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build_all(tmp_path)
    assert sorted(path.name for path in built) == sorted(path.name for path in CORPUS.glob("*.docx"))
    for path in built:
        assert path.read_bytes() == (CORPUS / path.name).read_bytes(), f"rebuild {path.name}: make_docx.py"
