"""An assignment (what a unit was given on a measure: its text, deadline and owners) as a fingerprint, and when
a 签收 still pending is chased: pure rules."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date


def assignment_fingerprint(
    text: str, deadline: date | None, lead_unit_id: int | None, co_unit_ids: Iterable[int]
) -> str:
    """The fingerprint a 签收 is given for: a change of text, deadline, lead or co-units asks for a new one."""
    co = ",".join(str(unit) for unit in sorted(co_unit_ids))
    facts = f"{text}\x1f{deadline}\x1f{lead_unit_id}\x1f{co}"
    return hashlib.sha256(facts.encode("utf-8")).hexdigest()


def unsigned_lateness(unsigned_workdays: int, chase_after: int) -> int:
    """Working days a 签收 is late: 1 on the ``chase_after``-th working day unsigned (the reminder), 0 before
    it and when chasing is off (``chase_after`` 0); the ladder's thresholds then count these days."""
    if chase_after <= 0 or unsigned_workdays < chase_after:
        return 0
    return unsigned_workdays - chase_after + 1
