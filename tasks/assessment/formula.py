"""Reading assessment formulas: the default that ships here, a YAML file, or the one a round's plan names."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from models.assessment_formula import Formula, parse_formula
from models.errors import InvalidFormula, PlanIssue

DEFAULT_FORMULA_FILE = Path(__file__).with_name("default_formula.yaml")


def formula_from_text(text: str, source: str) -> tuple[dict[str, Any], Formula]:
    """The mapping and the ``Formula`` of a formula's YAML; ``InvalidFormula`` names file, line and field."""
    from models.yaml_positions import load_located

    located = load_located(text, source)
    return located.data, parse_formula(located.data, located.where)


def read_formula_file(path: Path) -> tuple[dict[str, Any], Formula]:
    """A formula file's mapping and ``Formula`` (``InvalidFormula`` when missing, unreadable or wrong)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise InvalidFormula([PlanIssue(str(path), "", f"cannot read the formula: {reason}")]) from None
    return formula_from_text(text, str(path))


@lru_cache(maxsize=1)
def default_formula() -> Formula:
    """The formula that ships with Zhenggai (``default_formula.yaml``, documented in docs/assessment.md)."""
    return read_formula_file(DEFAULT_FORMULA_FILE)[1]


def round_formula(stored: dict[str, Any] | None, round_code: str) -> Formula:
    """The formula a round uses: the one its plan named (kept in the ledger), else the default."""
    if not stored:
        return default_formula()
    return parse_formula(stored, f"round {round_code} assessment")
