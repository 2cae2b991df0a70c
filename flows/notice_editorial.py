"""The editorial path's recipes that the CLI and the desk share: take a sign-off decision (and resume the
``draft_notice`` run waiting for it) and publish an approved draft. Each owns its transaction; the rules
are ``models.notice_draft``'s and the rows ``tasks.notice.drafts``'s, so both front doors act alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.clock import Clock
    from models.db import Database
    from models.enums import DraftDecision, DraftStatus
    from models.settings import Settings
    from tasks.notice.render import NoticeFormat


@dataclass(frozen=True)
class SignedOff:
    """A decision taken: the draft's status after it, and why the waiting run was not resumed (if so)."""

    status: DraftStatus
    resume_problem: str | None


def take_sign_off(
    db: Database,
    clock: Clock,
    draft_id: int,
    decision: DraftDecision,
    *,
    actor: str,
    note: str,
    allow_missing: bool,
    source: str,
) -> SignedOff:
    """Record the decision (the first one wins), commit, then resume the draft's waiting
    ``draft_notice`` run with it, as already recorded; a run that cannot be resumed is reported."""
    from tasks.notice.drafts import decide, get_draft

    with db.unit_of_work() as session:
        found = get_draft(session, draft_id)
        decide(
            session,
            found,
            decision,
            actor=actor,
            now=clock.now,
            note=note,
            allow_missing=allow_missing,
            source=source,
        )
        session.commit()
        status, run_id = found.status, found.flow_run_id
    problem = None
    if run_id is not None:
        from flows.notice import resume_sign_off

        problem = resume_sign_off(run_id, decision, actor, note)
    return SignedOff(status, problem)


@dataclass(frozen=True)
class Published:
    """What a publication took and wrote."""

    number: str
    files: list[tuple[str, Path]]


def publish_draft(
    db: Database,
    config: Settings,
    draft_id: int,
    *,
    number: str | None,
    replaces: str | None,
    actor: str,
    formats: list[NoticeFormat],
    dry_run: bool = False,
    clock: Clock | None = None,
) -> Published:
    """The publication recipe: take the number first (it serialises publications), render every format
    with it, write the files as the round's next notice version and record the publication, in one
    transaction. Nothing is written unless every format rendered; a dry run rolls the number back."""
    from models.notice_draft import check_publishable
    from tasks.calendar.ledger import ledger_clock
    from tasks.notice.drafts import (
        find_publication,
        get_draft,
        publication_document,
        publication_path,
        record_publication,
        take_number,
    )
    from tasks.notice.render import render_notice

    clock = clock or ledger_clock(db, config)
    with db.unit_of_work() as session:
        taken = take_number(session, config.notice_code, clock.today.year, number)
        found = get_draft(session, draft_id)
        check_publishable(found.id, found.status)
        old = find_publication(session, replaces, config.notice_code) if replaces else None
        document = publication_document(session, found, clock, taken)
        rendered = [
            (
                fmt,
                publication_path(config.notices_dir, found.round.code, taken, fmt),
                render_notice(document, fmt),
            )
            for fmt in formats
        ]
        files: list[tuple[str, Path]] = [(str(fmt), path) for fmt, path, _content in rendered]
        if dry_run:
            return Published(str(taken), files)
        record_publication(
            session, found, document, taken, rendered, actor=actor, now=clock.now, replaces=old
        )
        session.commit()
    return Published(str(taken), files)


def available_formats() -> list[NoticeFormat]:
    """Every format a publication writes: all of them, PDF only when LibreOffice is present."""
    from tasks.notice.pdf import soffice_path
    from tasks.notice.render import FORMATS

    return [fmt for fmt in FORMATS if fmt != "pdf" or soffice_path() is not None]
