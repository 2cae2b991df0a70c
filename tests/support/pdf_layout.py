"""Measure a notice PDF as a clerk with a ruler would: lines, characters per line, margins, page numbers.

Built on pdfplumber (character boxes, fonts) and, for the page number's dashes, a page image from
``pdftoppm``. Lengths are in PDF points (1/72 in) from the page's top-left corner.
"""

from __future__ import annotations

import io
import itertools
import string
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MM = 72 / 25.4
PAGE_WIDTH, PAGE_HEIGHT = 210 * MM, 297 * MM
TYPE_LEFT, TYPE_TOP = 28 * MM, 37 * MM
TYPE_RIGHT, TYPE_BOTTOM = PAGE_WIDTH - 26 * MM, PAGE_HEIGHT - 35 * MM
TYPE_WIDTH = TYPE_RIGHT - TYPE_LEFT
BODY_SIZE = 16.0
CELLS_PER_LINE = 28
LINES_PER_PAGE = 22

# Characters that may not start a line (closing punctuation) and may not end one (opening punctuation):
# the renderer carries a character over to keep them where they belong.
NO_LINE_START = set("，。、；：？！）》」』”’…—·%")
NO_LINE_END = set("（《「『“‘")
LATIN_WORD = set(string.ascii_letters + string.digits + ".-")


@dataclass(frozen=True)
class Line:
    """One printed line: its characters left to right (spaces dropped)."""

    page: int  # 1-based
    chars: tuple[dict[str, Any], ...]

    @property
    def text(self) -> str:
        return "".join(char["text"] for char in self.chars)

    @property
    def x0(self) -> float:
        return float(self.chars[0]["x0"])

    @property
    def x1(self) -> float:
        return max(float(char["x1"]) for char in self.chars)

    @property
    def top(self) -> float:
        return min(float(char["top"]) for char in self.chars)

    @property
    def bottom(self) -> float:
        return max(float(char["bottom"]) for char in self.chars)

    @property
    def size(self) -> float:
        return round(float(self.chars[0]["size"]), 1)

    @property
    def full_width_only(self) -> bool:
        """Every character takes a whole 3号 cell (no digits or Latin letters)."""
        return all(char["x1"] - char["x0"] > BODY_SIZE * 0.9 for char in self.chars)

    @property
    def cells(self) -> int:
        """The character cells the line spans from the left edge of the type area (an indent counts)."""
        pitch = (self.x1 - self.chars[0]["x0"]) / len(self.chars)
        return len(self.chars) + round((self.x0 - TYPE_LEFT) / pitch)


def pages_of_lines(pdf: Path) -> list[list[Line]]:
    """Every page's lines in reading order (characters grouped by their baseline)."""
    import pdfplumber

    pages: list[list[Line]] = []
    with pdfplumber.open(pdf) as document:
        for number, page in enumerate(document.pages, start=1):
            rows: dict[float, list[dict[str, Any]]] = {}
            for char in page.chars:
                if not char["text"].strip():
                    continue
                baseline = round(page.height - char["matrix"][5], 0)
                rows.setdefault(baseline, []).append(char)
            pages.append(
                [
                    Line(number, tuple(sorted(chars, key=lambda c: c["x0"])))
                    for _, chars in sorted(rows.items())
                ]
            )
    return pages


def body_lines(page: list[Line]) -> list[Line]:
    """The lines inside the type area (the page number below it is not one of them)."""
    return [line for line in page if line.bottom <= TYPE_BOTTOM + 2]


def page_number_line(page: list[Line]) -> Line | None:
    below = [line for line in page if line.top > TYPE_BOTTOM]
    return below[-1] if below else None


def _starts_paragraph(line: Line) -> bool:
    return line.x0 > TYPE_LEFT + BODY_SIZE


def full_lines(pages: list[list[Line]]) -> Iterator[tuple[Line, Line]]:
    """Each 3号 line followed by a line of the same paragraph (which starts at the left edge), with it.

    The last line of a paragraph is followed by an indented first line, a centred or right-aligned line
    (title, signature), or nothing: it is not full by design and is not yielded.
    """
    lines = [line for page in pages for line in body_lines(page) if line.size == BODY_SIZE]
    for line, following in itertools.pairwise(lines):
        if not _starts_paragraph(following) and following.x0 < TYPE_LEFT + 2:
            yield line, following


def next_unit_width(following: Line) -> float:
    """Width of the next line's first piece that may not be split: opening marks, a Latin word or one
    character, then the closing marks that may not start a line."""
    chars = following.chars
    end = 0
    while end < len(chars) - 1 and chars[end]["text"] in NO_LINE_END:
        end += 1
    if chars[end]["text"] in LATIN_WORD:
        while end + 1 < len(chars) and chars[end + 1]["text"] in LATIN_WORD:
            end += 1
    end += 1
    while end < len(chars) and chars[end]["text"] in NO_LINE_START:
        end += 1
    return sum(float(c["x1"] - c["x0"]) for c in chars[:end])


def carried_over(following: Line) -> bool:
    """Whether the renderer carried a character to the next line to keep punctuation where it belongs:
    a closing mark may not start a line (it takes the character before it along), an opening mark may not
    end one."""
    texts = [char["text"] for char in following.chars]
    return (len(texts) > 1 and texts[1] in NO_LINE_START) or texts[0] in NO_LINE_END


def natural_width(line: Line, spacing: float) -> float:
    """The width the line takes before justification, its indent included.

    Justification widens the gaps where the line may break (around Chinese characters), never inside a
    Latin word; the widening is the same at each, so it is read off the gaps between two full-width
    characters (each advances its width plus ``spacing``, the character spacing) and taken away.
    """
    chars = line.chars
    pairs = list(itertools.pairwise(chars))

    def latin(char: dict[str, Any]) -> bool:
        return str(char["text"]) in LATIN_WORD

    stretches = sorted(
        float(b["x0"] - a["x1"]) - spacing
        for a, b in pairs
        if a["x1"] - a["x0"] > BODY_SIZE * 0.9 and b["x1"] - b["x0"] > BODY_SIZE * 0.9
    )
    stretch = max(stretches[len(stretches) // 2], 0.0) if stretches else 0.0
    breakable = sum(1 for a, b in pairs if not (latin(a) and latin(b)))
    return line.x1 + spacing - TYPE_LEFT - stretch * breakable


def page_image(pdf: Path, page: int, dpi: int) -> Any:
    """The page rendered by pdftoppm, as a greyscale PIL image."""
    from PIL import Image

    png = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-gray", "-png", str(pdf)],
        capture_output=True,
        check=True,
    ).stdout
    return Image.open(io.BytesIO(png)).convert("L")


def _ink_rows(pdf: Path, line: Line, chars: tuple[dict[str, Any], ...], dpi: int) -> list[float]:
    image = page_image(pdf, line.page, dpi)
    scale = dpi / 72
    columns = range(int(chars[0]["x0"] * scale) + 1, int(chars[-1]["x1"] * scale) - 1)
    rows = [
        y / scale
        for y in range(int((line.top - 4) * scale), int((line.bottom + 2) * scale))
        if any(image.getpixel((x, y)) < 128 for x in columns)
    ]
    if not rows:
        raise AssertionError(f"no ink found for {line.text!r} on page {line.page}")
    return rows


def ink_top(pdf: Path, line: Line, dpi: int = 300) -> float:
    """The top of the ink of a line's characters, from the page image."""
    return _ink_rows(pdf, line, line.chars, dpi)[0]


def ink_bottom(pdf: Path, line: Line, dpi: int = 300) -> float:
    """The bottom of the ink of a line's characters, from the page image."""
    return _ink_rows(pdf, line, line.chars, dpi)[-1] + 72 / dpi


def dash_ink_top(pdf: Path, line: Line, dpi: int = 300) -> float:
    """The top of the ink of the first em dash of a page-number line, from the page image."""
    dash = next(char for char in line.chars if char["text"] == "—")
    return _ink_rows(pdf, line, (dash,), dpi)[0]
