"""A notice saved from a web page (.html) read into the notice's line stream (``notice_source``).

A government page holds far more than the notice: the site's menus, breadcrumbs, a search box, the
发布时间 line, share and print links, a sidebar and a footer with the site's own telephone. The notice is
the **article**: the block that holds the preamble and the problem headings (text inside links does not
count, so a sidebar link ``一、政务公开指南`` is no heading), with the title printed just above it. Only
that block and its title become the stream, numbered as paragraphs from 1 (the title first).

Parsed with the standard library's ``html.parser`` into a small tree: the pages are simple, and nothing
is fetched (scripts, styles and images are ignored).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

from tasks.exchange.notice_source import NoticeSource, Position, SourceBuilder, decode_text

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
SKIPPED_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "iframe",
        "object",
        "svg",
        "select",
        "textarea",
        "button",
        "head",
    ]
)
BOLD_TAGS = frozenset(("b", "strong"))
# Opening one of these closes an open <p> (HTML's implied end tags), as browsers do.
CLOSES_P = BLOCK_TAGS - {"body", "html"}

PUBLISHED_META = ("pubdate", "publishdate", "publishtime", "firstpublishedtime", "dc.date", "date")
PUBLISHED_RE = re.compile(
    r"(?:发布时间|发布日期|发文日期|公开日期|成文日期|日期|时间)\s*[：:]\s*"
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
)
ISO_DAY_RE = re.compile(r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})")
CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_-]+)""", re.I)
TITLE_RE = re.compile(r"关于.{2,80}(?:通报|公告|通告|报告|情况)$")
LEAD_START_MAX = 6  # a bold lead may follow a heading number printed in the body's weight
_CJK = "\u3000-\u9fff\uff00-\uffef"
CJK_GAP_RE = re.compile(rf"(?<=[{_CJK}]) (?=[^A-Za-z])|(?<=[^A-Za-z]) (?=[{_CJK}])")
ARTICLE_SHARE = 0.8  # the article is the smallest block holding this share of the notice's landmarks


@dataclass(eq=False)
class _Node:
    tag: str
    attrs: dict[str, str]
    parent: _Node | None = None
    children: list[_Node | str] = field(default_factory=list)

    def ancestors(self) -> list[_Node]:
        chain: list[_Node] = []
        node: _Node | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    @property
    def bold(self) -> bool:
        style = self.attrs.get("style", "").replace(" ", "").lower()
        return self.tag in BOLD_TAGS or "font-weight:bold" in style or "font-weight:700" in style


class _TreeBuilder(HTMLParser):
    """HTML into a tree of ``_Node``, tolerant of the unclosed tags that CMS pages are full of."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {})
        self.stack = [self.root]
        self.skipping = 0
        self.meta: dict[str, str] = {}
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            name = (values.get("name") or values.get("property") or values.get("http-equiv") or "").lower()
            if name:
                self.meta[name] = values.get("content", "")
        if tag == "title":
            self._in_title = True
        if tag in SKIPPED_TAGS:
            self.skipping += tag not in VOID_TAGS
            return
        if self.skipping:
            return
        if tag in CLOSES_P and any(node.tag == "p" for node in self.stack):
            self._close("p")
        node = _Node(tag, values, self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
            return
        if not self.skipping:
            self._close(tag)

    def _close(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self.skipping:
            self.stack[-1].children.append(data)


@dataclass
class _Paragraph:
    """A run of inline text between block boundaries, with the block it sits in."""

    block: _Node
    text: str = ""
    lead: str = ""  # the bold text the paragraph opens with
    lead_open: bool = True  # still reading the opening bold run
    linked: int = 0  # characters inside <a>

    @property
    def link_only(self) -> bool:
        return self.linked >= len(self.text.strip()) > 0


@dataclass
class _Table:
    """A ledger table of the article: its header cells and its rows' cells."""

    block: _Node
    header: list[str]
    rows: list[list[str]]


class _Segmenter:
    """The tree's text as paragraphs: each block element (p, div, li, td, h1…) and each <br> breaks.

    With ``tables``, a table whose header names 反馈问题 and 整改措施 is kept whole as a ``_Table``.
    """

    def __init__(self, tables: bool = False) -> None:
        self.paragraphs: list[_Paragraph] = []
        self.entries: list[_Paragraph | _Table] = []
        self.current: _Paragraph | None = None
        self.tables = tables

    def walk(self, node: _Node, block: _Node, bold: bool = False, link: bool = False) -> None:
        for child in node.children:
            if isinstance(child, str):
                self.text(child, block, bold, link)
            elif child.tag == "br":
                self.current = None
            elif child.tag == "table" and self.tables and (table := _ledger_table(child)):
                self.current = None
                self.entries.append(table)
            elif child.tag in BLOCK_TAGS:
                self.current = None
                self.walk(child, child, False, link)
                self.current = None
            else:
                self.walk(child, block, bold or child.bold, link or child.tag == "a")

    def text(self, data: str, block: _Node, bold: bool, link: bool) -> None:
        data = re.sub(r"[ \t\r\n\f]+", " ", data)
        if self.current is None:
            if not data.strip():
                return
            self.current = _Paragraph(block)
            self.paragraphs.append(self.current)
            self.entries.append(self.current)
        paragraph = self.current
        if paragraph.lead_open and data.strip():
            if bold:
                paragraph.lead = paragraph.text + data
            elif paragraph.lead or len((paragraph.text + data).strip()) > LEAD_START_MAX:
                paragraph.lead_open = False
        paragraph.text += data
        if link:
            paragraph.linked += len(data.strip())


def _rows(table: _Node) -> list[_Node]:
    """The table's own rows (not those of a table nested in a cell)."""
    rows: list[_Node] = []
    for child in table.children:
        if isinstance(child, _Node):
            if child.tag == "tr":
                rows.append(child)
            elif child.tag in ("thead", "tbody", "tfoot"):
                rows += _rows(child)
    return rows


def _cell_text(cell: _Node) -> str:
    segmenter = _Segmenter()
    segmenter.walk(cell, cell)
    return "\n".join(p.text.strip() for p in segmenter.paragraphs if p.text.strip())


def _ledger_table(table: _Node) -> _Table | None:
    """The table as a ledger (header and rows of cell texts), when its first row names the columns of one."""
    from tasks.exchange.notice_parser import ledger_columns

    rows = [
        [_cell_text(cell) for cell in row.children if isinstance(cell, _Node) and cell.tag in ("td", "th")]
        for row in _rows(table)
    ]
    if not rows:
        return None
    columns = ledger_columns(tuple(rows[0]))
    return _Table(table, rows[0], rows[1:]) if "problem" in columns and "measures" in columns else None


def _tidy(text: str) -> str:
    """Source line breaks between two Chinese characters are no space a reader sees."""
    return CJK_GAP_RE.sub("", text)


def decode_html(data: bytes, source: str) -> str:
    """A saved page's text in the charset its <meta> declares, else UTF-8, else GB18030."""
    declared = CHARSET_RE.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii").lower().replace("gb2312", "gb18030"))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text(data, source)


def read_html(text: str, source: str = "notice.html") -> NoticeSource:
    """The article of a saved page: its title line, then the article's paragraphs, numbered from 1."""
    from tasks.exchange.notice_parser import is_landmark

    tree = _TreeBuilder()
    tree.feed(text)
    tree.close()
    segmenter = _Segmenter(tables=True)
    segmenter.walk(tree.root, tree.root)
    entries = segmenter.entries
    landmarks = [
        e for e in entries if isinstance(e, _Table) or (not e.link_only and is_landmark(e.text.strip()))
    ]
    # No landmark at all: not a notice page we know; keep every text that is not a link, so that
    # nothing is dropped unseen.
    article = _article(landmarks) if landmarks else tree.root
    chosen = [
        e
        for e in entries
        if (e.block is article or article in e.block.ancestors())
        and (landmarks or isinstance(e, _Table) or not e.link_only)
    ]
    before = [e for e in entries[: entries.index(chosen[0])] if isinstance(e, _Paragraph)] if chosen else []
    opening = [e.text.strip() for e in chosen[:3] if isinstance(e, _Paragraph)]
    title = [] if any(TITLE_RE.search(text) for text in opening) else _title(before, tree)
    builder = SourceBuilder(source, "paragraph")
    number = 0
    for line, lead in title:
        number += 1
        builder.line(line, Position(number, "paragraph"), lead)
    tables = 0
    for entry in chosen:
        if isinstance(entry, _Table):
            tables += 1
            rows = [
                (Position(number, "row", tables, i), cells) for i, cells in enumerate(entry.rows, start=1)
            ]
            builder.table(tables, entry.header, rows)
        else:
            number += 1
            builder.line(_tidy(entry.text), Position(number, "paragraph"), _tidy(entry.lead))
    builder.result.published = _published(tree.meta, segmenter.paragraphs)
    return builder.done()


def _article(landmarks: list[_Paragraph | _Table]) -> _Node:
    """The deepest block that holds most of the landmarks (preamble, headings, outcome labels)."""
    counts: dict[int, int] = {}
    nodes: dict[int, _Node] = {}
    for paragraph in landmarks:
        for node in paragraph.block.ancestors():
            counts[id(node)] = counts.get(id(node), 0) + 1
            nodes[id(node)] = node
    needed = max(1, int(len(landmarks) * ARTICLE_SHARE + 0.999))
    candidates = [nodes[key] for key, count in counts.items() if count >= needed]
    return max(candidates, key=lambda node: len(node.ancestors()))


def _title(before: list[_Paragraph], tree: _TreeBuilder) -> list[tuple[str, str]]:
    """The title printed above the article (the nearest title-like line, with an issuer line above it),
    else the page's ``ArticleTitle`` meta or <title> (up to the site's name)."""
    for index in range(len(before) - 1, -1, -1):
        paragraph = before[index]
        text = paragraph.text.strip()
        if paragraph.link_only or not TITLE_RE.search(text):
            continue
        lines = [(text, "")]
        above = before[index - 1] if index else None
        if (
            text.startswith("关于")
            and above is not None
            and not above.link_only
            and above.block.parent is paragraph.block.parent
            and re.fullmatch(r"[^，,。；;：:\s]{2,40}", above.text.strip())
        ):
            lines.insert(0, (above.text.strip(), ""))
        return lines
    meta = tree.meta.get("articletitle") or re.split(r"[_|｜]| - ", tree.title.strip())[0]
    return [(meta.strip(), "")] if meta.strip() else []


def _published(meta: dict[str, str], paragraphs: list[_Paragraph]) -> date | None:
    """The page's publication date: a <meta> such as PubDate, else a 发布时间/发布日期 line."""
    candidates = [meta[name] for name in PUBLISHED_META if meta.get(name)]
    for value in candidates:
        match = ISO_DAY_RE.search(value)
        if match and (day := _day(match)):
            return day
    for paragraph in paragraphs:
        match = PUBLISHED_RE.search(paragraph.text)
        if match and (day := _day(match)):
            return day
    return None


def _day(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    except ValueError:
        return None
