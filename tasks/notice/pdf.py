"""Convert the notice DOCX to PDF with LibreOffice headless, the 公文 fonts mapped by fontconfig.

LibreOffice is optional: ``soffice_path()`` says whether it is installed, and ``docx_to_pdf`` raises
``PdfUnavailable`` with the Debian packages to install when it is not. The fonts folder
(``Settings.fonts_dir``, filled by ``.ci/fandol-fonts``) is added to fontconfig's font directories when it
exists, so 仿宋/楷体/黑体/宋体 come out in the Fandol faces; without it the fallbacks of
``notice_fonts.conf`` apply. ``pdf_fonts`` names the fonts a PDF embeds, for the caller to report.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from models.errors import PdfUnavailable

FONTCONFIG_FILE = Path(__file__).with_name("fonts.conf")
DEBIAN_PACKAGES = "libreoffice-writer-nogui poppler-utils fonts-arphic-uming fonts-noto-cjk fonts-arphic-gkai00mp fonts-liberation2"
INSTALL_HINT = f"install LibreOffice and the free 公文 fonts: apt-get install -y {DEBIAN_PACKAGES}"
FANDOL_FACES = ("FandolFang", "FandolKai", "FandolHei", "FandolSong")

logger = logging.getLogger(__name__)


def soffice_path() -> str | None:
    """The LibreOffice executable on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def fontconfig_file(work: Path, fonts_dir: Path | None) -> Path:
    """Write the fontconfig file LibreOffice gets: the fonts folder (when present), then the mapping."""
    lines = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<fontconfig>",
    ]
    if fonts_dir is not None and fonts_dir.is_dir():
        folder = escape(str(fonts_dir.resolve()))
        lines.append(f"  <dir>{folder}</dir>")
        # Keep the scan of the folder beside it, so each conversion does not read 25 MB of fonts again.
        lines.append(f"  <cachedir>{folder}/.fontconfig-cache</cachedir>")
    lines.append(f"  <include>{escape(str(FONTCONFIG_FILE))}</include>")
    lines.append("</fontconfig>")
    path = work / "fonts.conf"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def docx_to_pdf(docx: bytes, *, fonts_dir: Path | None = None, timeout: float = 180.0) -> bytes:
    """The PDF of a DOCX, converted by ``soffice --headless`` in a private profile and temp directory.

    ``fonts_dir`` defaults to ``Settings.fonts_dir``.
    """
    return docx_to_pdfs({"notice": docx}, fonts_dir=fonts_dir, timeout=timeout)["notice"]


def docx_to_pdfs(
    documents: Mapping[str, bytes], *, fonts_dir: Path | None = None, timeout: float = 180.0
) -> dict[str, bytes]:
    """The PDFs of several DOCX by their names, converted by one ``soffice --headless`` start (one
    LibreOffice start costs about 1.6 CPU-seconds; each further document far less), in a private profile and
    temp directory. Names are plain file stems (``duban-2025-7``); an error names the documents that failed.
    ``timeout`` is per document; ``fonts_dir`` defaults to ``Settings.fonts_dir``.
    """
    if not documents:
        return {}
    for name in documents:
        if not _STEM.fullmatch(name):
            raise ValueError(f"not a plain file name for a document to convert: {name!r}")
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(f"PDF needs LibreOffice (soffice), which is not installed: {INSTALL_HINT}")
    if fonts_dir is None:
        from models.settings import get_settings

        fonts_dir = get_settings().fonts_dir
    total = timeout * len(documents)
    with tempfile.TemporaryDirectory(prefix="zhenggai-pdf-") as tmp:
        work = Path(tmp)
        sources = work / "docx"
        sources.mkdir()
        for name, docx in documents.items():
            (sources / f"{name}.docx").write_bytes(docx)
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(fontconfig_file(work, fonts_dir))
        env["HOME"] = str(work)  # LibreOffice writes caches under HOME; keep them private
        command = [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work),
            *(str(sources / f"{name}.docx") for name in documents),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=total, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(
                f"LibreOffice did not convert {_names(documents)} within {total:.0f} s"
            ) from None
        missing = [name for name in documents if not (work / f"{name}.pdf").exists()]
        if completed.returncode != 0 or missing:
            detail = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip()
            raise PdfUnavailable(
                f"LibreOffice failed to convert {_names(missing or documents)} "
                f"(exit {completed.returncode}): {detail}"
            )
        pdfs = {name: (work / f"{name}.pdf").read_bytes() for name in documents}
    for pdf in pdfs.values():
        logger.info("%s", describe_pdf_fonts(pdf, fonts_dir))
    return pdfs


_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _names(names: Iterable[str]) -> str:
    listed = list(names)
    if listed == ["notice"]:
        return "the notice"
    return ", ".join(f"{name}.docx" for name in listed)


_BASE_FONT = re.compile(rb"/BaseFont\s*/([^\s/\[\]<>()]+)")


def pdf_fonts(pdf: bytes) -> list[str]:
    """The fonts a PDF embeds, by PostScript name without the subset tag (``ABCDEF+``), sorted."""
    names = set()
    for match in _BASE_FONT.finditer(pdf):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        names.add(name.decode("latin-1").split("+", 1)[-1])
    return sorted(names)


def describe_pdf_fonts(pdf: bytes, fonts_dir: Path | None) -> str:
    """One line for the log: the fonts used, and where the Fandol fonts were missing, what stood in."""
    fonts = pdf_fonts(pdf)
    line = f"PDF fonts: {', '.join(fonts) or 'none found'}"
    if not any(name.startswith(FANDOL_FACES) for name in fonts):
        where = f" in {fonts_dir}" if fonts_dir is not None else ""
        line += (
            f" (the Fandol fonts were not found{where}: 仿宋 is AR PL UMing, a 宋体-style face;"
            " see docs/notice.md to add them)"
        )
    return line
