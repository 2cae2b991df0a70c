"""The docs name real code: every path and dotted name of models/, tasks/, flows/ and bench/ that README.md,
docs/ and prefect.yaml mention exists (a move that forgets the docs fails here)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "prefect.yaml"]
PATH = re.compile(r"(?<![\w./-])((?:models|tasks|flows|bench)/[\w./-]*[\w])(?::(\w+))?")
# Rooms docs/architecture.md reserves for the features that come next (they may not exist yet).
RESERVED = {
    "flows/web/pages",
    "flows/web/templates",
    "flows/web/static",
}
DOTTED = re.compile(r"(?<![\w./-])((?:models|tasks|flows|bench)(?:\.\w+)+)")


def _mentions() -> list[tuple[str, str]]:
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for match in PATH.finditer(text):
            found.append((document.name, match.group(0)))
        for match in DOTTED.finditer(text):
            found.append((document.name, match.group(1)))
    return sorted(set(found))


def _resolves(name: str) -> bool:
    if name.rstrip("/") in RESERVED:
        return True
    if "/" in name:
        path, _, attribute = name.partition(":")
        target = ROOT / path
        if not target.exists():
            return False
        return (
            not attribute
            or re.search(rf"^(?:async )?def {attribute}\b|^{attribute} =", target.read_text(), re.M)
            is not None
        )
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                value = getattr(value, attribute)
        except AttributeError:
            return False
        return True
    return False


@pytest.mark.parametrize(("document", "name"), _mentions())
def test_a_name_in_the_docs_is_real_code(document: str, name: str) -> None:
    assert _resolves(name), f"{document} names {name}, which does not exist"
