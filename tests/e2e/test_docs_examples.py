"""Every file and command example of README.md and docs/ runs as shown, in order, on a fresh ledger (or the
seed's, for the pages that speak of it): ``console`` blocks with their output, ``sh`` blocks line by line
(``tests/support/docs.py`` says how a line that needs another host is checked here), ``file=`` blocks as the
files the commands read. A fenced block no test reads fails ``test_every_example_is_run``."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.support.docs import FENCE, PDF, ExampleRun, doc_examples

# Pages that need no Prefect API, and those that sync, sweep or serve (run on the session's harness).
PAGES = [
    "docs/assessment.md",
    "docs/benchmarks.md",
    "docs/calendar.md",
    "docs/desk.md",
    "docs/importing.md",
    "docs/notice.md",
    "docs/plan-format.md",
]
PREFECT_PAGES = ["docs/api.md", "docs/deploying.md", "docs/notifications.md", "docs/portal.md"]
# Pages that speak of the seed's ledger (examples/xinhua-2023, plan and reports) before they load anything.
SEEDED = {"docs/api.md", "docs/assessment.md", "docs/notice.md"}
PLAN, REPORTS = "examples/xinhua-2023/plan.yaml", "examples/xinhua-2023/reports.yaml"
# Files a page's commands read that are not shown on it (Word files, whole notices): from the repository.
REPOSITORY_FILES = {
    "docs/importing.md": {
        "notice.txt": "examples/xinhua-2023/notice.txt",
        "通报.docx": "tests/data/notices/n08_bold_lead_sentence.docx",
        "通报.html": "tests/data/notices/n10_portal_page.html",
        "n09_table_ledger.docx": "tests/data/notices/n09_table_ledger.docx",
    },
    "docs/desk.md": {"plan.yaml": PLAN, "reports.yaml": REPORTS},
    "docs/notice.md": {"plan.yaml": PLAN, "reports.yaml": REPORTS},
    "docs/plan-format.md": {"assessment.yaml": "tasks/assessment/default_formula.yaml"},
    "docs/deploying.md": {
        PLAN: PLAN,
        "plan.yaml": PLAN,
        # A made-up 2027 arrangement in the State Council's form (the real one is not published yet).
        "2027.txt": "tests/data/calendar/2027-example.txt",
    },
}
# Evidence files a page's commands upload.
MADE_FILES = {"docs/api.md": {"会议纪要.pdf": PDF, "现场照片.jpg": b""}}


@pytest.mark.parametrize("page", PAGES)
def test_the_examples_of_a_page_run_as_shown(
    page: str, cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_page(page, cli, tmp_path, monkeypatch, database)


@pytest.mark.prefect
@pytest.mark.usefixtures("prefect_harness")
@pytest.mark.parametrize("page", PREFECT_PAGES)
def test_the_examples_that_need_prefect_run_as_shown(
    page: str, cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages that sync or sweep (Prefect flows) run on the session's harness."""
    run_page(page, cli, tmp_path, monkeypatch, database)


def run_page(
    page: str, cli: Callable[..., Any], workdir: Path, monkeypatch: pytest.MonkeyPatch, database: Any
) -> None:
    """Lays out the files the page shows or reads, then runs its commands in order."""
    if page in SEEDED:
        seed(database)
    examples = doc_examples(ROOT / page)
    assert examples.commands, f"{page} shows no command"
    for name, content in examples.files.items():
        (workdir / name).write_text(content, encoding="utf-8")
    for name, source in REPOSITORY_FILES.get(page, {}).items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, workdir / name)
    for name, data in MADE_FILES.get(page, {}).items():
        (workdir / name).write_bytes(data or jpeg())
    ExampleRun(page, cli, workdir, monkeypatch).run(examples.commands)


def seed(database: Any) -> None:
    from models.settings import get_settings
    from tasks.ledger.plan_load import load_plan_file
    from tasks.reports.record import load_reports_file
    from tests.support.work import committed

    clock = get_settings().clock()
    committed(database, load_plan_file, ROOT / PLAN, clock)
    committed(database, load_reports_file, ROOT / REPORTS, clock)


def jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "JPEG")
    return out.getvalue()


# Blocks that are neither commands nor files: output shown, a format's reference, a snippet of another
# language; each with the test that reads it, or why none runs it.
NOT_RUN = {
    "text": "output or a tree, shown (docs/assessment.md's: tests/unit/tasks/assessment/test_docs.py)",
    "notice": "a notice's text and what it reads as: tests/unit/tasks/exchange/test_importing_docs.py",
    "html": "a notice's page and what it reads as: tests/unit/tasks/exchange/test_importing_docs.py",
}


def test_every_example_is_run() -> None:
    """Each fenced block of README.md and docs/ is run here, or read by the test ``NOT_RUN`` names."""
    run = set(PAGES) | set(PREFECT_PAGES)
    unread = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        page = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        for block in FENCE.finditer(text):
            info, line = block["info"].strip(), text.count("\n", 0, block.start()) + 1
            kind = info.split(" ")[0]
            runs = (kind in ("sh", "console") or "file=" in info) and (page in run or page == "README.md")
            if runs or kind in NOT_RUN or _read_elsewhere(page, text, block.start(), kind, block["body"]):
                continue
            unread.append(f"{page}:{line} ```{info}")
    assert not unread, "blocks no test runs:\n" + "\n".join(unread)


def _read_elsewhere(page: str, text: str, start: int, kind: str, body: str) -> bool:
    """The blocks other tests read: importing.md's ``# reads as:`` YAML, assessment.md's marked blocks,
    api.md's mount snippet (test_the_mount_snippet_of_docs_api_runs), portal.md's reverse proxy."""
    before = text[:start].rstrip().rsplit("\n", 1)[-1]
    if page == "docs/importing.md" and kind == "yaml" and body.startswith("# reads as:"):
        return True
    if page == "docs/assessment.md" and before.startswith("<!-- "):
        return True
    if before == PART_OF_A_PLAN:
        return True  # test_the_parts_of_plans_load
    return (page, kind) in {("docs/api.md", "python"), ("docs/portal.md", "nginx")}


PART_OF_A_PLAN = (
    "<!-- part of a plan: loaded in docs/plan-format.md's plan.yaml by tests/e2e/test_docs_examples.py -->"
)


def parts_of_plans() -> list[Any]:
    found = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for block in FENCE.finditer(text):
            if text[: block.start()].rstrip().endswith(PART_OF_A_PLAN):
                line = text.count("\n", 0, block.start()) + 1
                found.append(pytest.param(block["body"], id=f"{path.name}:{line}"))
    return found


@pytest.mark.parametrize("part", parts_of_plans())
def test_the_parts_of_plans_load(
    part: str, cli: Callable[..., Any], database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block showing part of a plan (the round's formula, a collective's units), put in the whole plan
    of docs/plan-format.md (a mapping merged into its own, a list in place of its own), loads."""
    import yaml

    plan = yaml.safe_load(doc_examples(ROOT / "docs/plan-format.md").files["plan.yaml"])
    for key, value in yaml.safe_load(part).items():
        plan[key] = {**plan[key], **value} if isinstance(value, dict) else value
    for measure in plan["problems"][0]["measures"]:
        measure.update(lead_unit=plan["units"][0]["code"], co_units=[])
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    shutil.copyfile(ROOT / "tasks/assessment/default_formula.yaml", tmp_path / "assessment.yaml")
    monkeypatch.chdir(tmp_path)
    result = cli("plan", "load", "plan.yaml", "--dry-run")
    assert result.exit_code == 0, result.output


def _block(page: str, kind: str) -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    [body] = [block["body"] for block in FENCE.finditer(text) if block["info"].strip() == kind]
    return body


def test_the_mount_snippet_of_docs_api_runs(settings: Any, database: Any) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    parent_app = FastAPI()
    exec(_block("docs/api.md", "python"), {"parent_app": parent_app})
    with TestClient(parent_app) as client:
        assert client.get("/zhenggai/api/health").status_code == 200


def test_the_reverse_proxy_of_docs_portal_fits_the_app(settings: Any) -> None:
    """nginx is not installed here: the server block is checked for form (every directive closed, braces
    balanced) and against the app: it forwards to the port the page serves on and lets through the
    largest request the app takes."""
    config = _block("docs/portal.md", "nginx")
    lines = [line.split("#", 1)[0].strip() for line in config.splitlines()]
    assert sum(line.count("{") for line in lines) == sum(line.count("}") for line in lines)
    assert all(line.endswith((";", "{", "}")) for line in lines if line)
    directives = dict(line.rstrip(";").split(None, 1) for line in lines if line.endswith(";"))
    page = (ROOT / "docs/portal.md").read_text(encoding="utf-8")
    served = re.search(r"zhenggai web --host (\S+) --port (\d+)", page)
    assert served is not None and directives["proxy_pass"] == f"http://{served[1]}:{served[2]}"
    from flows.web.app import create_app

    [guard] = [m for m in create_app(settings).user_middleware if "limit" in m.kwargs]
    size = re.fullmatch(r"(\d+)m", directives["client_max_body_size"])
    assert size is not None and int(size[1]) * 1024 * 1024 >= guard.kwargs["limit"]
