"""The examples of docs/importing.md run: each ``notice`` (plain text) or ``html`` block, followed by a YAML
block starting ``# reads as:``, is parsed and must read as that YAML (which names only what it is about)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasks.exchange.notice_html import read_html
from tasks.exchange.notice_parser import parse_notice, parse_source
from tests.support.notices import as_expected, subset

DOC = Path(__file__).resolve().parents[4] / "docs" / "importing.md"
EXAMPLE = re.compile(
    r"```(?P<kind>notice|html)\n(?P<source>.*?)```\s*```yaml\n# reads as:\n(?P<reads>.*?)```", re.S
)


def examples() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for match in EXAMPLE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        found.append(pytest.param(match["kind"], match["source"], match["reads"], id=f"importing.md:{line}"))
    return found


def test_the_page_has_an_example_of_every_structure():
    kinds = [param.values[0] for param in examples()]
    assert len(kinds) >= 15 and kinds.count("html") >= 2


@pytest.mark.parametrize(("kind", "source", "reads"), examples())
def test_example(kind: str, source: str, reads: str) -> None:
    parsed = parse_notice(source) if kind == "notice" else parse_source(read_html(source))
    wanted = yaml.safe_load(reads)
    assert subset(as_expected(parsed), wanted) == wanted
