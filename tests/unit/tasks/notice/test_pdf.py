"""PDF conversion without LibreOffice fails with the packages to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import PdfUnavailable
from tasks.notice.pdf import FONTCONFIG_FILE, docx_to_pdf, soffice_path


def test_pdf_without_libreoffice_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    assert soffice_path() is None
    with pytest.raises(PdfUnavailable, match="apt-get install -y libreoffice-writer-nogui"):
        docx_to_pdf(b"PK")


def test_fontconfig_file_maps_every_gongwen_font_name() -> None:
    text = FONTCONFIG_FILE.read_text(encoding="utf-8")
    for windows, free in (
        ("仿宋_GB2312", "AR PL UMing CN"),
        ("方正小标宋简体", "Noto Serif CJK SC"),
        ("黑体", "Noto Sans CJK SC"),
        ("楷体_GB2312", "AR PL KaitiM GB"),
        ("宋体", "Noto Serif CJK SC"),
        ("Times New Roman", "Liberation Serif"),
    ):
        block = text.split(f"<string>{windows}</string>", 1)[1].split("</match>", 1)[0]
        assert f"<string>{free}</string>" in block, windows
