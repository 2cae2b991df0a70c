"""Evidence files (台账) by their hash."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from flows.web.deps import Caller, Config, Db
from flows.web.errors import Refusal
from tasks.reports.access import evidence_for
from tasks.reports.evidence import evidence_path

router = APIRouter(tags=["reports"])


@router.get("/evidence/{sha256}", response_class=FileResponse, response_model=None)
def get_evidence(sha256: str, caller: Caller, db: Db, config: Config) -> FileResponse:
    """Download an evidence file by its hash (a unit: only files of its own measures' reports)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise Refusal(422, "sha256", "give the 64 lowercase hex digits of a SHA-256")
    with db.unit_of_work() as session:
        try:
            info = evidence_for(session, caller, sha256)
        except LookupError as error:
            raise Refusal(404, "sha256", str(error)) from None
    path = evidence_path(config.evidence_dir, info.sha256)
    if not path.is_file():
        raise Refusal(404, "sha256", "the file is recorded but missing from the evidence store")
    return FileResponse(path, media_type=info.content_type, filename=info.filename)
