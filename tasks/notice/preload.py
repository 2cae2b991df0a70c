"""What serve's fork server imports once for every check that issues a 督办单 (``flows.warm_start``):
python-docx, the sheet's writer, its files and the PDF conversion, imported lazily by a check."""

from __future__ import annotations

import docx  # noqa: F401

import tasks.notice.duban_docx
import tasks.notice.duban_files
import tasks.notice.pdf  # noqa: F401
