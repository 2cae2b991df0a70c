"""Every file and command example of the pages below runs as shown, in order, on a fresh ledger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support.docs import doc_examples

PAGES = ["docs/calendar.md", "docs/desk.md", "docs/importing.md", "docs/notice.md"]
# Files a page's commands read that are not shown on it (Word files, whole notices): copied from the repository.
REPOSITORY_FILES = {
    "docs/importing.md": {
        "notice.txt": "examples/xinhua-2023/notice.txt",
        "通报.docx": "tests/data/notices/n08_bold_lead_sentence.docx",
        "通报.html": "tests/data/notices/n10_portal_page.html",
        "n09_table_ledger.docx": "tests/data/notices/n09_table_ledger.docx",
    },
    "docs/desk.md": {
        "plan.yaml": "examples/xinhua-2023/plan.yaml",
        "reports.yaml": "examples/xinhua-2023/reports.yaml",
    },
    "docs/notice.md": {
        "plan.yaml": "examples/xinhua-2023/plan.yaml",
        "reports.yaml": "examples/xinhua-2023/reports.yaml",
    },
}


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_run_as_shown(
    page: str, cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_page(page, cli, tmp_path, monkeypatch)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("page", ["docs/notifications.md", "docs/portal.md"])
def test_the_notifications_examples_run_as_shown(
    page: str, cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/notifications.md and docs/portal.md sweep (a Prefect flow): their 督办单 examples run on the
    session's harness."""
    _run_page(page, cli, tmp_path, monkeypatch)


def _run_page(page: str, cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    examples = doc_examples(ROOT / page)
    assert examples.commands, f"{page} shows no command"
    for name, content in examples.files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    for name, source in REPOSITORY_FILES.get(page, {}).items():
        (tmp_path / name).write_bytes((ROOT / source).read_bytes())
    monkeypatch.chdir(tmp_path)

    for command in examples.commands:
        result = cli(*command.argv)

        where = f"{page}:{command.line}: zhenggai {' '.join(command.argv)}"
        assert result.exit_code == (1 if command.fails else 0), f"{where}\n{result.output}"
        assert "Traceback" not in result.output, where
        missing = command.missing_from(result.output)
        assert not missing, f"{where}: not in the output: {missing}\n{result.output}"
