"""Build the Word notices of this corpus (n08, n09) as a bureau's Word would save them.

    python tests/data/notices/make_docx.py          # rewrites n08_*.docx and n09_*.docx beside this file

The texts are written for the corpus (see README.md). The output is byte-for-byte reproducible: fixed
file properties and fixed times inside the ZIP, so a rebuild that changes nothing changes no byte
(tests/unit/test_notice_corpus.py checks it).
"""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXED_TIME = datetime(2024, 12, 1, 9, 0, 0)

N08 = {
    "name": "n08_bold_lead_sentence.docx",
    "issuer": "中共南湖区住房和城乡建设局党组",
    "title": "关于巡察整改进展情况的通报",
    "preamble": (
        "根据区委巡察工作统一部署，2024年6月3日至7月31日，区委第二巡察组对区住房和城乡建设局党组开展了"
        "常规巡察，2024年8月28日反馈了巡察意见。现将整改进展情况予以公布。"
    ),
    # (bold lead sentence, rest of the paragraph), then the outcome paragraph
    "problems": [
        (
            (
                "一、班子成员履行“一岗双责”不够到位。",
                "班子成员对分管领域党风廉政建设过问不多，廉政谈话提醒流于形式。",
            ),
            "整改情况：一是制定班子成员“一岗双责”责任清单，每季度听取分管股室汇报；二是开展廉政谈话提醒42人次，"
            "建立谈话台账。",
        ),
        (
            ("二、工程建设领域监管存在短板。", "部分在建工程质量安全巡查频次不足，对违规转包分包查处不力。"),
            "整改情况：一是对在建工程开展质量安全“双随机”检查56次；二是查处违规分包案件3起，罚款18.6万元；"
            "三是建立监管人员包片责任制。",
        ),
        (
            ("三、住房保障分配管理不够严格。", "个别保障性住房承租户不再符合条件但未及时退出。"),
            "整改情况：清理不符合条件承租户23户，收回住房19套，其余4户已下达腾退通知。",
        ),
    ],
    "after": [
        "截至2024年11月30日，反馈的3个方面共16个问题，已完成整改13个，正在整改3个，整改完成率81.3%。",
        "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请在2024年12月31日前通过电话0551-65432100"
        "或电子邮箱xczg@example.net反映。",
    ],
}

N09 = {
    "name": "n09_table_ledger.docx",
    "issuer": "中共河口区财政局党组",
    "title": "关于巡察整改情况的通报",
    "preamble": (
        "区委第一巡察组于2024年3月11日至5月10日对区财政局党组进行了巡察，并反馈了巡察意见。区财政局党组对"
        "反馈问题照单全收，建立整改台账，逐项推进整改。现将整改情况通报如下。"
    ),
    "statistics": "共梳理反馈问题5个，制定整改措施9条。目前已完成整改4个，1个正在整改中。",
    "header": ("序号", "反馈问题", "整改措施", "整改情况", "责任单位"),
    "rows": [
        (
            "1",
            "预算编制不够科学精准，部分项目预算执行率偏低",
            ["1.建立项目预算执行月通报制度；", "2.对执行率低于50%的项目收回预算指标。"],
            "已完成",
            "预算股",
        ),
        (
            "2",
            "政府采购监管不到位",
            ["1.开展政府采购专项检查；", "2.建立采购代理机构评价机制。"],
            "已完成",
            "采购办",
        ),
        (
            "3",
            "国有资产出租出借管理不规范",
            ["1.清理出租出借资产合同27份；", "2.收缴逾期租金36.2万元。"],
            "已完成",
            "资产股",
        ),
        ("4", "财政票据管理不严格", ["1.推行财政电子票据全覆盖。"], "已完成", "综合股"),
        (
            "5",
            "直达资金监控预警处置不及时",
            ["1.完善预警信息处置流程；", "2.每月开展直达资金运行分析。"],
            "正在整改",
            "国库股",
        ),
    ],
    "after": ["特此通报。联系电话：0311-80001110。"],
}


def _fonts(run: Any, east_asia: str, size: float, *, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.size = Pt(size)
    run.font.name = "Times New Roman"
    run.font.bold = bold or None
    run._r.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def _title(document: Any, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _fonts(paragraph.add_run(text), "方正小标宋简体", 22)


def _body(document: Any, *runs: tuple[str, str, bool]) -> None:
    from docx.shared import Pt

    paragraph = document.add_paragraph()
    paragraph.paragraph_format.first_line_indent = Pt(32)
    for text, font, bold in runs:
        _fonts(paragraph.add_run(text), font, 16, bold=bold)


def _core(document: Any, issuer: str, title: str) -> None:
    properties = document.core_properties
    properties.author = properties.last_modified_by = issuer
    properties.title = title
    properties.comments = ""
    properties.created = properties.modified = FIXED_TIME
    properties.revision = 1


def _start(spec: dict[str, Any]) -> Any:
    """A document with the notice's file properties, its two title lines and its preamble."""
    from docx import Document

    document = Document()
    _core(document, spec["issuer"], spec["title"])
    _title(document, spec["issuer"])
    _title(document, spec["title"])
    _body(document, (spec["preamble"], "仿宋_GB2312", False))
    return document


def build_n08() -> Any:
    document = _start(N08)
    for (lead, rest), outcome in N08["problems"]:
        _body(document, (lead, "黑体", True), (rest, "仿宋_GB2312", False))
        label, text = outcome.split("：", 1)
        _body(document, (label + "：", "楷体_GB2312", False), (text, "仿宋_GB2312", False))
    for text in N08["after"]:
        _body(document, (text, "仿宋_GB2312", False))
    return document


def build_n09() -> Any:
    document = _start(N09)
    _body(document, (N09["statistics"], "仿宋_GB2312", False))
    table = document.add_table(rows=1 + len(N09["rows"]), cols=len(N09["header"]))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, N09["header"], strict=True):
        _fonts(cell.paragraphs[0].add_run(text), "黑体", 12)
    for row, (number, problem, measures, status, unit) in zip(table.rows[1:], N09["rows"], strict=True):
        cells = row.cells
        for cell, text in ((cells[0], number), (cells[1], problem), (cells[3], status), (cells[4], unit)):
            _fonts(cell.paragraphs[0].add_run(text), "仿宋_GB2312", 12)
        # One measure a line: each its own paragraph in the cell, as clerks type them.
        _fonts(cells[2].paragraphs[0].add_run(measures[0]), "仿宋_GB2312", 12)
        for measure in measures[1:]:
            _fonts(cells[2].add_paragraph().add_run(measure), "仿宋_GB2312", 12)
    for text in N09["after"]:
        _body(document, (text, "仿宋_GB2312", False))
    return document


def reproducible_bytes(document: Any) -> bytes:
    """The DOCX with every ZIP entry dated ``FIXED_TIME``: the same input gives the same bytes."""
    raw = io.BytesIO()
    document.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(item.filename))
    return out.getvalue()


BUILDERS: dict[str, Callable[[], Any]] = {str(N08["name"]): build_n08, str(N09["name"]): build_n09}


def build_all(directory: Path = HERE) -> list[Path]:
    written = []
    for name, build in BUILDERS.items():
        path = directory / name
        path.write_bytes(reproducible_bytes(build()))
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    for path in build_all(target):
        print(path.name)
