"""House conventions of tasks/: feature packages that say what they own, plain functions, no Prefect tasks."""

from __future__ import annotations

import ast
from pathlib import Path

TASKS = Path(__file__).resolve().parents[3] / "tasks"
PACKAGES = sorted(p for p in TASKS.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_module_lives_in_a_feature_package() -> None:
    assert [p.name for p in TASKS.glob("*.py")] == ["__init__.py"]
    assert {p.name for p in PACKAGES} >= {"exchange", "ledger", "notice", "notify", "reports", "schedule"}


def test_each_package_says_in_one_sentence_what_it_owns_and_imports_nothing() -> None:
    for package in PACKAGES:
        tree = ast.parse((package / "__init__.py").read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree) or ""
        assert doc.count("\n") == 0 and doc.endswith("."), package.name
        assert [type(node).__name__ for node in tree.body] == ["Expr"], f"{package.name}/__init__.py imports"


def test_tasks_define_no_prefect_task_or_flow() -> None:
    """Prefect ``@task`` wrappers live beside the flow that runs them, in flows/."""
    for path in sorted(TASKS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "prefect":
                assert not {a.name for a in node.names} & {"task", "flow"}, path
