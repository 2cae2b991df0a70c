"""A parsed notice in the shape of the corpus's expected files (tests/data/notices/README.md), so that a
test compares what the importer read with what a reader of the notice expects."""

from __future__ import annotations

from typing import Any

from tasks.exchange.notice_parser import ParsedNotice, Unplaced

STATISTICS = (
    "problems",
    "completed",
    "in_progress",
    "completion_rate",
    "aspects",
    "rules_made",
    "money_recovered_yuan",
    "people_dealt_with",
)
DATES = ("inspection_start", "inspection_end", "feedback_date", "notice_date")
CONTACT = ("text", "person", "phone", "address", "postcode", "email")


def place(item: Unplaced) -> dict[str, Any]:
    """An unplaced line as the expected files write it: ``{line: 16, text: …}`` or ``{table, row, text}``."""
    position = item.position
    if position.kind == "row":
        return {"table": position.table, "row": position.row, "text": item.text}
    return {position.kind: position.number, "text": item.text}


def as_expected(parsed: ParsedNotice) -> dict[str, Any]:
    """Everything the expected files name, read from ``parsed``."""
    problems = []
    for problem in parsed.problems:
        item: dict[str, Any] = {
            "ordinal": problem.ordinal,
            "heading": problem.heading,
            "title": problem.title,
            "description": problem.description,
            "label": problem.label,
            "lead_in": problem.outcome_lead_in,
            "measures": [{"marker": m.marker, "text": m.text} for m in problem.measures],
        }
        if problem.ledger is not None:
            item["ledger"] = problem.ledger
        problems.append(item)
    statistics = {name: parsed.statistics.get(name) for name in STATISTICS}
    return {
        "issuer": parsed.issuing_org,
        "title": parsed.title,
        "published": parsed.published,
        "masthead": parsed.masthead,
        "document_number": parsed.document_number,
        "preamble": parsed.preamble,
        "inspecting_body": parsed.inspecting_body,
        "dates": {name: getattr(parsed, name) for name in DATES},
        "problems": problems,
        "statistics": {"text": parsed.statistics.get("text"), **statistics},
        "contact": {name: getattr(parsed.contact, name) for name in CONTACT},
        "signature": parsed.signature,
        "unplaced": [place(item) for item in parsed.unplaced],
        "warnings": [place(item) for item in parsed.warnings],
    }


def subset(found: Any, wanted: Any) -> Any:
    """``found`` cut down to what ``wanted`` names: the keys of mappings, item by item in lists (so that an
    example states only what it is about and still compares whole lists)."""
    if isinstance(wanted, dict) and isinstance(found, dict):
        return {key: subset(found.get(key), value) for key, value in wanted.items()}
    if isinstance(wanted, list) and isinstance(found, list) and all(isinstance(w, dict) for w in wanted):
        template = wanted[0] if wanted else {}
        return [subset(item, wanted[i] if i < len(wanted) else template) for i, item in enumerate(found)]
    return found
