"""PDF conversion without LibreOffice fails with the packages to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import PdfUnavailable
from tasks.notice.pdf import (
    FONTCONFIG_FILE,
    describe_pdf_fonts,
    docx_to_pdf,
    fontconfig_file,
    pdf_fonts,
    soffice_path,
)


def test_pdf_without_libreoffice_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH without soffice
    assert soffice_path() is None
    with pytest.raises(PdfUnavailable, match="apt-get install -y libreoffice-writer-nogui"):
        docx_to_pdf(b"PK")


def test_fontconfig_file_maps_every_gongwen_font_name_fandol_first() -> None:
    text = FONTCONFIG_FILE.read_text(encoding="utf-8")
    for windows, families in (
        ("仿宋_GB2312", ["FandolFang", "AR PL UMing CN"]),
        ("仿宋", ["FandolFang", "AR PL UMing CN"]),
        ("方正小标宋简体", ["Noto Serif CJK SC"]),
        ("黑体", ["FandolHei", "Noto Sans CJK SC"]),
        ("楷体_GB2312", ["FandolKai", "AR PL KaitiM GB"]),
        ("宋体", ["FandolSong", "Noto Serif CJK SC"]),
        ("Times New Roman", ["Liberation Serif"]),
    ):
        block = text.split(f"<string>{windows}</string>", 1)[1].split("</match>", 1)[0]
        edit = block.split('<edit name="family"', 1)[1].split("</edit>", 1)[0]
        assert edit.count("<string>") == len(families), windows
        assert [part.split("</string>")[0] for part in edit.split("<string>")[1:]] == families, windows


def test_the_fonts_folder_is_added_only_when_it_exists(tmp_path: Path) -> None:
    fonts = tmp_path / "fonts & more"
    written = fontconfig_file(tmp_path, fonts).read_text(encoding="utf-8")
    assert "<dir>" not in written
    assert f"<include>{FONTCONFIG_FILE}</include>" in written
    fonts.mkdir()
    written = fontconfig_file(tmp_path, fonts).read_text(encoding="utf-8")
    assert f"<dir>{tmp_path}/fonts &amp; more</dir>" in written
    assert written.index("<dir>") < written.index("<include>")


def test_pdf_fonts_names_the_embedded_fonts_without_subset_tags() -> None:
    pdf = (
        b"%PDF-1.6\n1 0 obj <</Type/Font/Subtype/Type1/BaseFont/CAAAAA+FandolFang-Regular>> endobj\n"
        b"2 0 obj <</Type/Font/BaseFont /DAAAAA+LiberationSerif /FirstChar 0>> endobj\n"
        b"3 0 obj <</BaseFont/EAAAAA+FandolFang-Regular>> endobj\n"
        b"4 0 obj <</BaseFont/Noto#20Serif>> endobj\n"
    )
    assert pdf_fonts(pdf) == ["FandolFang-Regular", "LiberationSerif", "Noto Serif"]
    assert (
        describe_pdf_fonts(pdf, Path("fonts")) == "PDF fonts: FandolFang-Regular, LiberationSerif, Noto Serif"
    )
    fallback = describe_pdf_fonts(b"/BaseFont/AAAAAA+UMingCN", Path("fonts"))
    assert fallback.startswith("PDF fonts: UMingCN (the Fandol fonts were not found in fonts: ")


def test_a_batch_names_the_documents_libreoffice_did_not_convert(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from tasks.notice.pdf import docx_to_pdfs

    # a stand-in soffice that converts every document but those named broken-*
    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        'out=""; for arg; do case "$prev" in --outdir) out="$arg";; esac; prev="$arg"; done\n'
        'for arg; do case "$arg" in *broken-*) ;; *.docx) b=${arg##*/}; b=${b%.docx};'
        ' printf "%%PDF-1.6 %s" "$b" > "$out/$b.pdf";; esac; done\n',
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))

    pdfs = docx_to_pdfs({"a-1": b"PK", "b-2": b"PK"}, fonts_dir=tmp_path)
    assert pdfs == {"a-1": b"%PDF-1.6 a-1", "b-2": b"%PDF-1.6 b-2"}
    with pytest.raises(PdfUnavailable, match=r"convert broken-2\.docx \(exit 0\)") as failure:
        docx_to_pdfs({"good-1": b"PK", "broken-2": b"PK"}, fonts_dir=tmp_path)
    assert "good-1" not in str(failure.value)
    with pytest.raises(ValueError, match="not a plain file name"):
        docx_to_pdfs({"../escape": b"PK"}, fonts_dir=tmp_path)
    assert docx_to_pdfs({}) == {}
