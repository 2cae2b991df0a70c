"""Read YAML while remembering the line of every value, so errors can say ``plan.yaml:12``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from models.errors import InvalidPlan, PlanIssue

Path_ = tuple[str | int, ...]


# libyaml's parser when PyYAML was built with it (a city plan loads ~7x faster), else pure Python.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class PlanLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """Safe YAML that leaves dates as text: pydantic then checks them and a bad one gets its line."""


PlanLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass
class Located:
    """Parsed YAML data with the line (1-based) of every mapping key and sequence item."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of the deepest part of ``path`` that the file has (a missing key: its parent)."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def where(self, path: Sequence[str | int]) -> str:
        return f"{self.source}:{self.line_of(path)}"

    def issue(self, path: Sequence[str | int], message: str) -> PlanIssue:
        return PlanIssue(self.where(path), dotted(path), message)


def dotted(path: Sequence[str | int]) -> str:
    """('problems', 2, 'measures', 0, 'deadline') → problems[2].measures[0].deadline."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_located(text: str, source: str) -> Located:
    """Parse YAML; a syntax error or a duplicate key is an ``InvalidPlan`` naming the line."""
    try:
        # One parse: the node tree gives the lines, and the same tree is constructed into data.
        loader = PlanLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise InvalidPlan(
            [PlanIssue(f"{source}:{line}", "", f"not valid YAML: {error.problem}")], source
        ) from None
    except yaml.YAMLError as error:
        raise InvalidPlan([PlanIssue(f"{source}:1", "", f"not valid YAML: {error}")], source) from None
    located = Located(data=data, source=source)
    issues: list[PlanIssue] = []
    if node is not None:
        _walk(node, (), located.lines, issues, source)
    if issues:
        raise InvalidPlan(issues, source)
    return located


def _walk(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], issues: list[PlanIssue], source: str
) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line = key_node.start_mark.line + 1
                issues.append(PlanIssue(f"{source}:{line}", dotted((*path, key)), "duplicate key"))
            seen.add(key)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines, issues, source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines, issues, source)
