"""Collectives (各街道办事处) and their members in the ledger: the plan's ``members:`` checked, linked
(a member's ``Unit.parent`` is its collective), exported, and read back for the views.

A unit of kind ``collective`` stands for the units it lists under ``members:``; a collective without
members is one unit, as before. The pure rule of a measure's state across members is
``models.collectives``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import UnitKind
from models.tables import Unit
from tasks.ledger.plan_schema import PlanDocument, UnitSpec

Path = tuple[str | int, ...]


def member_issues(plan: PlanDocument, session: Session) -> list[tuple[Path, str]]:
    """What is wrong with the plan's ``members:`` lists, each with its path in the plan."""
    issues: list[tuple[Path, str]] = []
    kinds = {code: kind for code, kind in session.execute(select(Unit.code, Unit.kind))}
    kinds.update({spec.code: spec.kind for spec in plan.units})
    in_file = {spec.code: spec for spec in plan.units}
    member_of: dict[str, str] = {}
    for u, spec in enumerate(plan.units):
        if spec.members and spec.kind != UnitKind.COLLECTIVE:
            issues.append((("units", u, "members"), "only a unit of kind collective lists members"))
            continue
        for i, code in enumerate(spec.members):
            path: Path = ("units", u, "members", i)
            if code not in kinds:
                issues.append((path, f"unknown unit '{code}' (define it under units:)"))
            elif code == spec.code:
                issues.append((path, "a collective cannot be its own member"))
            elif kinds[code] == UnitKind.COLLECTIVE:
                issues.append((path, f"'{code}' is a collective: a member is one unit"))
            elif code in member_of:
                issues.append((path, f"unit '{code}' is already a member of '{member_of[code]}'"))
            else:
                member_of[code] = spec.code
                member = in_file.get(code)
                if member is not None and member.parent not in (None, spec.code):
                    issues.append(
                        (
                            ("units", list(in_file).index(code), "parent"),
                            f"unit '{code}' is a member of '{spec.code}': its parent is its collective",
                        )
                    )
    for u, spec in enumerate(plan.units):
        parent = spec.parent
        if (
            parent is not None
            and kinds.get(parent) == UnitKind.COLLECTIVE
            and member_of.get(spec.code) != parent
        ):
            issues.append(
                (("units", u, "parent"), f"list '{spec.code}' under the members of collective '{parent}'")
            )
    return issues


def collectives_without_members(plan: PlanDocument) -> list[str]:
    """The codes of the plan's collectives that list no members (each stays one unit)."""
    return [spec.code for spec in plan.units if spec.kind == UnitKind.COLLECTIVE and not spec.members]


def member_parents(specs: Sequence[UnitSpec]) -> dict[str, str]:
    """Each listed member's collective, by member code."""
    return {member: spec.code for spec in specs for member in spec.members}


def outside_members(specs: Sequence[UnitSpec], rows: Mapping[str, Unit]) -> list[tuple[str, Unit | None]]:
    """Units not in the plan whose collective the plan lists: each with the parent it gets (its
    collective when listed, none when its collective no longer lists it)."""
    in_file = {spec.code for spec in specs}
    moves: list[tuple[str, Unit | None]] = []
    for spec in specs:
        if spec.kind != UnitKind.COLLECTIVE:
            continue
        collective = rows[spec.code]
        for code in spec.members:
            if code not in in_file:
                moves.append((code, collective))
        for code, row in rows.items():
            if code not in in_file and row.parent is collective and code not in spec.members:
                moves.append((code, None))
    return moves


def members_of(session: Session, collective_ids: Collection[int]) -> dict[int, list[Unit]]:
    """The member units of each collective among ``collective_ids`` (in the order they were added)."""
    ids = list(collective_ids)
    if not ids:
        return {}
    parent = select(Unit.id).where(Unit.id.in_(ids), Unit.kind == UnitKind.COLLECTIVE)
    found: dict[int, list[Unit]] = {}
    for unit in session.scalars(select(Unit).where(Unit.parent_id.in_(parent)).order_by(Unit.id)):
        if unit.parent_id is not None:
            found.setdefault(unit.parent_id, []).append(unit)
    return found
