"""A draft as a Markdown file for those who edit in a text editor: a heading per paragraph (its part in
words and its key), the paragraph's text under it.

``render_draft_markdown`` returns the text; the CLI writes it. ``tasks.exchange.draft_markdown`` reads
the edited file back.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.notice_draft import DraftParagraph
from tasks.notice.draft_docx import DRAFT_HEADING, key_cell

SECTION = "## "  # ## 问题三 整改成效〔problem-3-outcome〕: import reads the key back


def render_draft_markdown(draft_id: int, round_code: str, paragraphs: Sequence[DraftParagraph]) -> str:
    """The draft's paragraphs under their headings: edit the text, keep the ``##`` lines."""
    lines = [
        f"# {DRAFT_HEADING.format(draft=draft_id)}",
        "",
        f"<!-- {round_code}：只修改各段文字，以 ## 开头的段落标题行请勿改动；"
        "改好后用 zhenggai notice import 导回。 -->",
    ]
    for paragraph in paragraphs:
        lines += ["", f"{SECTION}{key_cell(paragraph.key)}", "", paragraph.text]
    return "\n".join(lines) + "\n"
