"""Text as the ledger keeps it: one normalisation rule for every intake path, one sanitiser for every output.

Word and web pages bring characters a document cannot hold. On the way in (``normalise_text``):

- ``\\v`` (Word's soft line break), ``\\f``, ``\\r\\n``, ``\\r``, NEL (U+0085), U+2028 and U+2029 become ``\\n``;
- zero-width characters and bidirectional controls are removed (they are invisible and change nothing
  a reader sees, except the order a terminal or a page shows the text in);
- NUL and every other C0/C1 control (ESC included), DEL and lone surrogates are refused: ``InvalidText``
  names the field.

On the way out (``sanitise_text``, ``terminal_text``) the same rule never refuses: rows stored before the
rule existed are rendered with the controls dropped, so one bad report never stops a notice or an export.

The field limits of what a report carries are declared here once (``LIMITS``); the tables size their
columns from them and every intake path enforces them through ``check_length``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from models.errors import InvalidReport

# -- limits: declared once, the columns are sized from them ------------------------------------

AUTHOR_MAX = 100
METRIC_NAME_MAX = 100
METRIC_UNIT_MAX = 20
CODE_MAX = 64  # round, unit and measure codes
IDEMPOTENCY_KEY_MAX = 200
EVIDENCE_NAME_MAX = 255
REPORT_TEXT_MAX = 20_000  # characters; a report is quoted in the notice, not a file
METRICS_MAX = 100  # figures in one report
METRICS_JSON_MAX = 64 * 1024  # characters of the API's metrics field
ID_MAX = 2**31 - 1  # the largest id an Integer primary key holds on every backend

LIMITS: dict[str, int] = {
    "text": REPORT_TEXT_MAX,
    "author": AUTHOR_MAX,
    "measure": CODE_MAX,
    "unit": CODE_MAX,
    "metric name": METRIC_NAME_MAX,
    "metric unit": METRIC_UNIT_MAX,
    "idempotency key": IDEMPOTENCY_KEY_MAX,
}


class InvalidText(InvalidReport, ValueError):
    """A text field holds a character the ledger refuses (NUL, a control) or is too long.

    Also a ``ValueError`` so that a pydantic validator raising it becomes a validation error.
    """


_BREAKS = re.compile("\r\n|[\r\v\f\u2028\u2029\x85]")
# zero-width space, non-joiner, joiner, word joiner, BOM, Mongolian vowel separator, soft hyphen;
# bidi: LRM, RLM, ALM, embeddings and overrides (LRE…RLO, PDF), isolates (LRI…PDI)
_INVISIBLE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u180e\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]"
)
# C0 except tab and line feed, DEL, C1, lone surrogates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# Any of the three: most stored text has none, and one search is cheaper than three substitutions.
_UNSAFE = re.compile("|".join((_BREAKS.pattern, _INVISIBLE.pattern, _CONTROL.pattern)))


def _describe(char: str) -> str:
    names = {"\x00": "NUL", "\x1b": "ESC", "\x7f": "DEL"}
    code = f"U+{ord(char):04X}"
    return f"{names[char]} ({code})" if char in names else code


def normalise_text(value: str, field: str, *, one_line: bool = False, max_length: int | None = None) -> str:
    """``value`` as the ledger keeps it, or ``InvalidText`` naming ``field`` and the refused character.

    ``one_line`` fields (names, codes) turn line breaks into spaces. ``max_length`` counts characters
    after normalisation.
    """
    text = _INVISIBLE.sub("", _BREAKS.sub("\n", value))
    found = _CONTROL.search(text)
    if found is not None:
        line = text.count("\n", 0, found.start()) + 1
        where = f" on line {line}" if "\n" in text else ""
        raise InvalidText(
            field, f"contains the control character {_describe(found.group())}{where}; remove it"
        )
    if one_line:
        text = text.replace("\n", " ").replace("\t", " ")
    if max_length is not None:
        check_length(text, field, max_length)
    return text


def clean_field(value: object) -> object:
    """A schema's validator step (plans, reports files, the Excel 台账): a string normalised, anything
    else as it is; a refused character raises ``ValueError`` with the message (the schema names the field).
    """
    if not isinstance(value, str):
        return value
    try:
        return normalise_text(value, "")
    except InvalidText as error:
        raise ValueError(str(error).removeprefix(": ")) from None


def check_length(text: str, field: str, max_length: int) -> str:
    """``text``, or ``InvalidText`` when it is longer than ``max_length`` characters."""
    if len(text) > max_length:
        raise InvalidText(field, f"{len(text)} characters; at most {max_length}")
    return text


def sanitise_text(value: str | None) -> str:
    """Stored text made safe for a document or a terminal: breaks normalised, invisible and control
    characters dropped. Never refuses (rows stored before ``normalise_text`` existed pass through it)."""
    if not value:
        return ""
    if _UNSAFE.search(value) is None:
        return value
    return _CONTROL.sub("", _INVISIBLE.sub("", _BREAKS.sub("\n", value)))


def terminal_text(value: str | None) -> str:
    """Text for a terminal: ``sanitise_text`` (no ESC, so no escape sequence reaches it)."""
    return sanitise_text(value)


EARLIEST_YEAR = 2000  # no report, plan or notice of this ledger is older


def check_moment(moment: datetime, field: str) -> datetime:
    """An aware ``moment`` the ledger can store (in UTC, from the year 2000), or ``InvalidText``.

    ``0001-01-01T00:00:00+14:00`` has no UTC equivalent: it is refused here instead of overflowing.
    """
    if moment.tzinfo is None:
        return moment
    try:
        in_utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        in_utc = None
    if in_utc is None or in_utc.year < EARLIEST_YEAR:
        raise InvalidText(field, f"{moment.isoformat()} is before {EARLIEST_YEAR}: give the real time")
    return moment


def check_id(value: int, field: str) -> int:
    """An id a table can hold (1 … 2^31-1), or ``InvalidText`` naming ``field``."""
    if not 1 <= value <= ID_MAX:
        raise InvalidText(field, f"#{value} is not a report id")
    return value
