"""The ranking notice (考评通报) rendered as DOCX, Markdown or HTML; nothing is written here.

The DOCX is built from the progress notice's GB/T 9704 pieces (``tasks.notice.docx``): the same page,
fonts, title lines and sign-off, plus its table and picture. The bar chart comes in as PNG bytes
(``tasks.charts.ranking`` draws it, above this package; the front door hands it over).
"""

from __future__ import annotations

import base64
import html
import re
from typing import Literal

from models.assessment_notice import PartKind, RankingNotice
from models.notice import RunStyle

RankingFormat = Literal["docx", "md", "html"]
RANKING_FORMATS: tuple[RankingFormat, ...] = ("docx", "md", "html")
# 名次, 单位, 总分, 基础分, 加减分, 较上期, 考评事项, 榜单: 156 mm, the type area.
TABLE_WIDTHS_MM = (17.0, 42.0, 16.0, 16.0, 16.0, 16.0, 17.0, 16.0)


def render_ranking(
    notice: RankingNotice, fmt: RankingFormat, *, chart: bytes, chart_name: str = "chart.png"
) -> bytes:
    """The notice in ``fmt`` with its chart (PNG): inside the DOCX, inline in the HTML, and linked as
    ``chart_name`` from the Markdown (the caller writes the chart beside it)."""
    if fmt == "docx":
        return ranking_docx(notice, chart)
    if fmt == "md":
        return ranking_markdown(notice, chart_name).encode("utf-8")
    if fmt == "html":
        return ranking_html(notice, chart).encode("utf-8")
    raise ValueError(f"unknown ranking notice format {fmt!r}")


def ranking_docx(notice: RankingNotice, chart: bytes) -> bytes:
    """The notice as DOCX bytes, in the progress notice's layout."""
    from tasks.notice.docx import (
        add_blank,
        add_body,
        add_picture,
        add_signature,
        add_table,
        add_title,
        document_bytes,
        new_document,
        type_area_width_mm,
    )

    docx = new_document(
        title=f"{notice.issuer}{notice.title}",
        author=notice.issuer,
        subject=f"{notice.round_code} {notice.period_label}",
        category="考评通报",
    )
    add_title(docx, notice.issuer)
    add_title(docx, notice.title)
    add_blank(docx)
    for part in notice.parts:
        if part.kind == PartKind.TABLE:
            add_table(docx, part.headers, part.rows, TABLE_WIDTHS_MM)
        elif part.kind == PartKind.CHART:
            add_picture(docx, chart, width_mm=type_area_width_mm(), caption=part.caption)
        else:
            paragraph = add_body(docx, part.runs)
            paragraph.paragraph_format.keep_with_next = part.kind == PartKind.HEADING
    if notice.signature:
        add_signature(docx, notice.signature, notice.date_line)
    return document_bytes(docx)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def ranking_markdown(notice: RankingNotice, chart_name: str) -> str:
    """Markdown: the table as a pipe table, the chart as an image beside the file."""
    out = [f"# {_md(notice.issuer)}", f"# {_md(notice.title)}"]
    for part in notice.parts:
        if part.kind == PartKind.TABLE:
            rows = [part.headers, tuple("---" for _ in part.headers), *part.rows]
            out.append("\n".join("| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows))
        elif part.kind == PartKind.CHART:
            out.append(f"![{_md(part.caption)}]({chart_name})\n\n{_md(part.caption)}")
        elif part.kind == PartKind.HEADING:
            out.append(f"## {_md(part.text)}")
        else:
            out.append(
                "".join(f"**{_md(r.text)}**" if r.style != RunStyle.BODY else _md(r.text) for r in part.runs)
            )
    if notice.signature:
        out.append(_md(notice.signature) + ("  \n" + _md(notice.date_line) if notice.date_line else ""))
    return "\n\n".join(out) + "\n"


_STYLE = """
  body { background: #eee; margin: 0; }
  .page { background: #fff; width: 156mm; margin: 10mm auto; padding: 37mm 26mm 35mm 28mm;
          font-family: "仿宋_GB2312", "仿宋", "FangSong", "AR PL UMing CN", serif; font-size: 16pt;
          line-height: 28.95pt; color: #000; }
  p { margin: 0; text-indent: 2em; text-align: justify; }
  .title { font-family: "方正小标宋简体", "Noto Serif CJK SC", serif; font-weight: bold; font-size: 22pt;
           text-align: center; text-indent: 0; }
  .heading { font-family: "黑体", "SimHei", "Noto Sans CJK SC", sans-serif; }
  .label { font-family: "楷体_GB2312", "楷体", "KaiTi", "AR PL KaitiM GB", serif; }
  table { border-collapse: collapse; width: 100%; font-size: 14pt; line-height: 1.4; margin: 6pt 0; }
  th, td { border: 1px solid #000; padding: 3pt; text-align: center; }
  th { font-family: "黑体", "SimHei", "Noto Sans CJK SC", sans-serif; font-weight: normal; }
  figure { margin: 6pt 0; text-align: center; }
  figure img { width: 100%; }
  figcaption { font-family: "楷体_GB2312", "楷体", "KaiTi", "AR PL KaitiM GB", serif; font-size: 14pt; }
  .signature { margin-top: 28.95pt; text-align: right; padding-right: 2em; }
  .date { text-align: right; padding-right: 2em; }
"""


def ranking_html(notice: RankingNotice, chart: bytes) -> str:
    """One self-contained HTML page (the chart inline as a data URI: nothing loaded from elsewhere)."""
    e = html.escape
    body = [
        f'<p class="title">{e(notice.issuer)}</p>',
        f'<p class="title">{e(notice.title)}</p>',
        "<p>&nbsp;</p>",
    ]
    for part in notice.parts:
        if part.kind == PartKind.TABLE:
            head = "".join(f"<th>{e(h)}</th>" for h in part.headers)
            rows = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in part.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        elif part.kind == PartKind.CHART:
            data = base64.b64encode(chart).decode("ascii")
            body.append(
                f'<figure><img alt="{e(part.caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{e(part.caption)}</figcaption></figure>"
            )
        else:
            runs = "".join(
                e(r.text) if r.style == RunStyle.BODY else f'<span class="{r.style.value}">{e(r.text)}</span>'
                for r in part.runs
            )
            body.append(f"<p>{runs}</p>")
    if notice.signature:
        body.append(f'<p class="signature">{e(notice.signature)}</p>')
        if notice.date_line:
            body.append(f'<p class="date">{e(notice.date_line)}</p>')
    content = "\n".join(body)
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(notice.issuer + notice.title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f'<body>\n<div class="page">\n{content}\n</div>\n</body>\n</html>\n'
    )
