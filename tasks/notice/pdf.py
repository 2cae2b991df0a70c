"""Convert the notice DOCX to PDF with LibreOffice headless, the 公文 fonts mapped by fontconfig.

LibreOffice is optional: ``soffice_path()`` says whether it is installed, and ``docx_to_pdf`` raises
``PdfUnavailable`` with the Debian packages to install when it is not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from models.errors import PdfUnavailable

FONTCONFIG_FILE = Path(__file__).with_name("fonts.conf")
DEBIAN_PACKAGES = "libreoffice-writer-nogui poppler-utils fonts-arphic-uming fonts-noto-cjk fonts-arphic-gkai00mp fonts-liberation2"
INSTALL_HINT = f"install LibreOffice and the free 公文 fonts: apt-get install -y {DEBIAN_PACKAGES}"


def soffice_path() -> str | None:
    """The LibreOffice executable on PATH, if any."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(docx: bytes, *, timeout: float = 180.0) -> bytes:
    """The PDF of a DOCX, converted by ``soffice --headless`` in a private profile and temp directory."""
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable(f"PDF needs LibreOffice (soffice), which is not installed: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="zhenggai-pdf-") as tmp:
        work = Path(tmp)
        source = work / "notice.docx"
        source.write_bytes(docx)
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(FONTCONFIG_FILE)
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
            str(source),
        ]
        try:
            completed = subprocess.run(command, capture_output=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(f"LibreOffice did not convert the notice within {timeout:.0f} s") from None
        target = work / "notice.pdf"
        if completed.returncode != 0 or not target.exists():
            detail = (completed.stderr or completed.stdout).decode("utf-8", "replace").strip()
            raise PdfUnavailable(
                f"LibreOffice failed to convert the notice (exit {completed.returncode}): {detail}"
            )
        return target.read_bytes()
