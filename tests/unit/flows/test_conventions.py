"""House conventions of flows/: every Prefect task and flow is documented where it is defined."""

from __future__ import annotations

import ast
from pathlib import Path

FLOWS = Path(__file__).resolve().parents[3] / "flows"


def _decorated(kind: str) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found = []
    for path in sorted(FLOWS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == kind:
                    found.append((f"{path.relative_to(FLOWS.parent)}:{node.name}", node))
    return found


def test_every_prefect_task_has_a_one_line_docstring() -> None:
    tasks = _decorated("task")
    assert len(tasks) >= 10
    for name, node in tasks:
        doc = ast.get_docstring(node) or ""
        assert doc and "\n" not in doc, name


def test_every_flow_opens_with_a_one_line_summary() -> None:
    flows = _decorated("flow")
    assert len(flows) >= 6
    for name, node in flows:
        doc = ast.get_docstring(node) or ""
        assert doc and doc.splitlines()[0].endswith("."), name
