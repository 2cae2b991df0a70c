"""A new measure's code: it continues its problem's numbering (XH-05-6 → XH-05-7, JA-3 → JA-4).

Pure: the codes in, the code out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence

_NUMBERED = re.compile(r"^(?P<stem>.*?)(?P<n>\d+)$")
_PLAN_CODE = re.compile(r"^(?P<prefix>.+)-\d{2}-\d+$")  # PREFIX-<problem>-<n>, as importers assign them
DEFAULT_PREFIX = "M"


def round_code_prefix(codes: Collection[str]) -> str:
    """The prefix of a round's ``PREFIX-<problem>-<n>`` codes (XH-01-1 → XH); the most common one, else M."""
    prefixes = Counter(m["prefix"] for code in codes if (m := _PLAN_CODE.match(code)))
    return prefixes.most_common(1)[0][0] if prefixes else DEFAULT_PREFIX


def next_measure_code(
    problem_codes: Sequence[str], round_codes: Collection[str], problem_ordinal: int, taken: Collection[str]
) -> str:
    """The code of a measure added to a problem: its measures' numbering continued (the stem most of them
    share, the highest number plus one, zero padding kept); a problem without measures starts at
    ``PREFIX-<problem, two digits>-1`` with the round's prefix. Never one of ``taken``."""
    numbered = [(m["stem"], m["n"]) for code in problem_codes if (m := _NUMBERED.match(code))]
    make: Callable[[int], str]
    if numbered:
        counts = Counter(stem for stem, _n in numbered)
        top = max(counts.values())
        # Ties go to the stem of the problem's last measure that has one of the top stems.
        stem = next(s for s, _n in reversed(numbered) if counts[s] == top)
        digits = [n for s, n in numbered if s == stem]
        width = max(len(n) for n in digits) if any(n.startswith("0") for n in digits) else 0
        number = max(int(n) for n in digits) + 1

        def make(n: int) -> str:
            return f"{stem}{n:0{width}d}"

    else:
        prefix = round_code_prefix(round_codes)
        number = 1

        def make(n: int) -> str:
            return f"{prefix}-{problem_ordinal:02d}-{n}"

    while make(number) in taken:
        number += 1
    return make(number)
