"""An evidence file served to a signed-in visitor: the one route body the portal and the desk share.

Who may read which file is ``tasks.reports.access.evidence_for``; each page passes its own error page
and its own words for a file it does not show and for one missing from storage.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from flows.web.deps import Db
from flows.web.pages.session import Visitor
from models.errors import Forbidden
from models.settings import Settings
from tasks.reports.access import evidence_for
from tasks.reports.evidence import evidence_path

ErrorPage = Callable[[Request, Visitor, int, str, str], HTMLResponse]
NOT_FOUND = "没有找到文件"


def evidence_file_response(
    request: Request,
    config: Settings,
    db: Db,
    visitor: Visitor,
    sha256: str,
    *,
    error: ErrorPage,
    unknown: str,
    missing: str,
) -> Response:
    """The file named by its SHA-256, or a 404 page: ``unknown`` when the visitor may not read it (or it is
    not registered), ``missing`` when it is registered but not in storage."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return error(request, visitor, 404, NOT_FOUND, "文件地址不完整。")
    try:
        with db.unit_of_work() as session:
            info = evidence_for(session, visitor.principal, sha256)
    except (Forbidden, LookupError):
        return error(request, visitor, 404, NOT_FOUND, unknown)
    path = evidence_path(config.evidence_dir, info.sha256)
    if not path.is_file():
        return error(request, visitor, 404, NOT_FOUND, missing)
    return FileResponse(path, media_type=info.content_type, filename=info.filename)
