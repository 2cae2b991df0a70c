"""``zhenggai notice draft|drafts|show|edit|hold|approve|return|publish|export|import``: the editorial path.

The coordinator drafts the notice from the latest reports, edits its paragraphs (or the whole draft in
Word), a leader approves (审核签发) or returns it, and the approved draft is published with its number.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from flows.cli.common import clock as cli_clock
from flows.cli.common import console, database, err_console, local_time, parse_date_option, settings, today
from flows.cli.notice import notice_app
from flows.notice_editorial import available_formats, publish_draft
from models.errors import InvalidDraftEdit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.enums import DraftDecision
    from models.notice_draft import ParagraphChange
    from models.tables import NoticeDraft
    from tasks.notice.render import NoticeFormat

DRAFT_HELP = "The draft's number (草稿 N, as `notice draft` printed it)."
BY_CONTACT = "Who decides: a contact's code (default: the round's head)."
DRY_RUN = "Show what would change and write nothing."


def _coordinator(draft: NoticeDraft) -> str:
    round_ = draft.round
    return round_.coordinator.code if round_.coordinator is not None else "cli"


def _show_changes(found: list[ParagraphChange]) -> None:
    if not found:
        console.print("no change")
    for change in found:
        console.print(change.diff())


@notice_app.command("draft")
def draft(
    round_code: str = typer.Option(..., "--round", help="The round's code."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Reports up to the end of this date; default today."
    ),
    by: str = typer.Option("", "--by", help="Who drafts it (default: the round's coordinator)."),
) -> None:
    """Draft the round's notice from the latest reports (草稿 N), carrying the previous draft's edits
    where their reports have not changed and flagging those whose reports changed.

    Example: zhenggai notice draft --round xinhua-2023-xc2 --as-of 2023-12-31
    """
    from tasks.notice.drafts import create_draft, missing_labels

    day = parse_date_option(as_of, "--as-of") or today()
    with database().unit_of_work() as session:
        made = create_draft(session, round_code, cli_clock().on(day), actor=by or "cli")
        if not by:
            made.created_by = _coordinator(made)
        session.commit()
        console.print(f"草稿 {made.id}")
        carried = [p.key for p in made.paragraphs if p.edited]
        flagged = [p.key for p in made.paragraphs if p.stale_edit is not None]
        missing = missing_labels(made)
    if carried:
        err_console.print(
            f"{len(carried)} edit(s) carried from 草稿 {made.based_on_id}: {', '.join(carried)}"
        )
    if flagged:
        err_console.print(
            f"{len(flagged)} paragraph(s) whose reports changed since 草稿 {made.based_on_id} "
            f"(the earlier edit was not carried; see `zhenggai notice show {made.id}`): {', '.join(flagged)}"
        )
    if missing:
        err_console.print(f"{len(missing)} paragraph(s) with 【待报送】 markers: {', '.join(missing)}")


@notice_app.command("drafts")
def drafts(round_code: str | None = typer.Option(None, "--round", help="Only this round's drafts.")) -> None:
    """List the notice drafts, newest first: status, edits, 【待报送】 markers, number once published.

    Example: zhenggai notice drafts --round xinhua-2023-xc2
    """
    from tasks.notice.drafts import list_drafts

    with database().unit_of_work() as session:
        lines = list_drafts(session, round_code)
    if not lines:
        console.print("no drafts")
    for line in lines:
        number = f"  {line.number}" if line.number else ""
        console.print(
            f"草稿 {line.id}  {line.round_code}  {line.as_of.isoformat()}  {line.status.value}  "
            f"edited {line.edited}  待报送 {line.missing}  flagged {line.stale_edits}{number}"
        )


@notice_app.command("show")
def show(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Render it: txt, md or html (to stdout)."),
) -> None:
    """Show a draft: each paragraph with its text and flags (edited, stale, 【待报送】), its edits and
    decisions; or the draft rendered as the notice will print it.

    Example: zhenggai notice show 1 --format md
    """
    from models.notice_draft import paragraph_label
    from tasks.notice.drafts import (
        get_draft,
        paragraphs_of,
        publication_document,
        stale_paragraphs,
    )
    from tasks.notice.render import render_notice

    clock = cli_clock()
    with database().unit_of_work() as session:
        found = get_draft(session, draft_id)
        if fmt is not None:
            if fmt not in ("txt", "md", "html"):
                raise typer.BadParameter(f"'{fmt}' is not one of txt, md, html", param_hint="--format")
            typer.echo(render_notice(publication_document(session, found, clock), fmt), nl=False)  # type: ignore[arg-type]
            return
        stale = set(stale_paragraphs(session, found, clock))
        console.print(
            f"草稿 {found.id}  {found.round.code}  as of {found.as_of.isoformat()}  {found.status.value}"
        )
        for paragraph in paragraphs_of(found):
            flags = [
                flag
                for flag, on in (
                    ("edited", paragraph.edited),
                    ("reports changed since", paragraph.key in stale),
                    ("earlier edit not carried", paragraph.stale_edit is not None),
                    ("待报送", paragraph.has_missing),
                )
                if on
            ]
            tail = f"  [{', '.join(flags)}]" if flags else ""
            console.print(f"\n{paragraph.key} ({paragraph_label(paragraph.key)}){tail}")
            console.print(paragraph.text)
            if paragraph.stale_edit is not None:
                console.print(f"  earlier edit: {paragraph.stale_edit}")
        _print_history(session, found.id)


def _print_history(session: Session, draft_id: int) -> None:
    from models.tables import NoticeEdit
    from tasks.notice.drafts import draft_history

    events = draft_history(session, draft_id)
    if events:
        console.print("\nhistory:")
    for event in events:
        when = local_time(event.at)
        if isinstance(event, NoticeEdit):
            console.print(f"  {when}  {event.actor} edited {event.key} ({event.source})")
        else:
            note = f": {event.note}" if event.note else ""
            console.print(f"  {when}  {event.actor} {event.decision.value}{note} ({event.source})")


@notice_app.command("edit")
def edit(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    file: Path = typer.Option(..., "--file", exists=True, dir_okay=False, help="The new text (UTF-8)."),
    problem: int | None = typer.Option(None, "--problem", help="The problem's number K (一、 is 1)."),
    part: str = typer.Option(
        "outcome",
        "--part",
        help="outcome (整改成效, the default), description, preamble, statistics or closing.",
    ),
    by: str = typer.Option("", "--by", help="Who edits (default: the round's coordinator)."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN),
) -> None:
    """Replace a paragraph of a draft: problem K's 整改成效 by default (--part for the others); the change
    is shown as a diff and recorded (who, when, before → after).

    Example: zhenggai notice edit 1 --problem 3 --file 成效.txt
    """
    from models.notice_draft import paragraph_key
    from tasks.exchange.notice_source import RefusedCharacter, normalise_text
    from tasks.notice.drafts import apply_edits, get_draft, preview_edits

    key = paragraph_key(part, problem)
    try:
        text = normalise_text(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, RefusedCharacter) as error:
        raise typer.BadParameter(f"{file}: {error}", param_hint="--file") from None
    clock = cli_clock()
    with database().unit_of_work() as session:
        found = get_draft(session, draft_id)
        if dry_run:
            _show_changes(preview_edits(found, {key: text}))
            console.print("dry run: nothing written")
            return
        changed = apply_edits(session, found, {key: text}, actor=by or _coordinator(found), now=clock.now)
        session.commit()
    _show_changes(changed)


@notice_app.command("hold")
def hold(
    report_id: int = typer.Argument(..., help="The report's id (as `zhenggai report list` shows it)."),
    reason: str = typer.Option(..., "--reason", help="Why it is not for publication."),
    by: str = typer.Option("cli", "--by", help="Who decides it."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN),
) -> None:
    """Mark a report "not for publication" (不予公开) with the reason: the next drafts leave its text out.

    Example: zhenggai notice hold 12 --reason 涉及个人信息
    """
    from tasks.notice.drafts import hold_report

    with database().unit_of_work() as session:
        held = hold_report(session, report_id, reason, actor=by, now=settings().clock().now)
        if not dry_run:
            session.commit()
    console.print(
        f"report {held.report_id} held back: {held.reason}"
        + (" (dry run: nothing written)" if dry_run else "")
    )


def _decide(draft_id: int, decision: DraftDecision, by: str | None, note: str, allow_missing: bool) -> None:
    from flows.notice_editorial import take_sign_off
    from tasks.notice.drafts import check_decider, get_draft, round_head

    with database().unit_of_work() as session:
        found = get_draft(session, draft_id)
        actor = by if by is not None else round_head(found)
        if actor is None:
            raise InvalidDraftEdit(f"round {found.round.code} has no head (负责人): give --by CONTACT")
        check_decider(session, found, actor)
    signed = take_sign_off(
        database(),
        cli_clock(),
        draft_id,
        decision,
        actor=actor,
        note=note,
        allow_missing=allow_missing,
        source="cli",
    )
    console.print(f"草稿 {draft_id} {signed.status.value} by {actor}")
    if signed.resume_problem:
        err_console.print(signed.resume_problem)


@notice_app.command("approve")
def approve(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    by: str | None = typer.Option(None, "--by", help=BY_CONTACT),
    note: str = typer.Option("", "--note", help="A note kept with the approval."),
    allow_missing: bool = typer.Option(
        False, "--allow-missing", help="Approve although paragraphs still carry 【待报送】 markers."
    ),
) -> None:
    """Approve a draft (审核签发): it may then be published. A waiting draft_notice run resumes.

    Example: zhenggai notice approve 1 --by bureau-head
    """
    from models.enums import DraftDecision

    _decide(draft_id, DraftDecision.APPROVE, by, note, allow_missing)


@notice_app.command("return")
def return_(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    note: str = typer.Option(..., "--note", help="What to change."),
    by: str | None = typer.Option(None, "--by", help=BY_CONTACT),
) -> None:
    """Return a draft to the coordinator with a note; an edit makes it await a decision again.

    Example: zhenggai notice return 1 --note 问题三的成效请补充数据
    """
    from models.enums import DraftDecision

    _decide(draft_id, DraftDecision.RETURN, by, note, False)


@notice_app.command("publish")
def publish(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    number: str | None = typer.Option(
        None, "--number", help="The number, e.g. 〔2026〕3号; default the year's next."
    ),
    replaces: str | None = typer.Option(None, "--replaces", help="The published number this corrects."),
    by: str = typer.Option("cli", "--by", help="Who publishes (kept with the publication)."),
    formats: str = typer.Option(
        "all",
        "--formats",
        help="Comma-separated formats (txt,md,html,docx,pdf); all: every one (pdf when LibreOffice is present).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the number and files; write nothing."),
) -> None:
    """Publish an approved draft: numbered (机关代字〔2026〕3号, the 代字 ZHENGGAI_NOTICE_CODE), written in
    every format (PDF when LibreOffice is present) into the data directory's notices/, never changed after.

    Example: zhenggai notice publish 1 --number 〔2026〕3号
    """
    chosen = _formats(formats)
    published = publish_draft(
        database(),
        settings(),
        draft_id,
        number=number,
        replaces=replaces,
        actor=by,
        formats=chosen,
        dry_run=dry_run,
        clock=cli_clock(),
    )
    for fmt, path in published.files:
        console.print(f"  {fmt}: {path}")
    verb = "would be published as" if dry_run else "published as"
    console.print(
        f"草稿 {draft_id} {verb} {published.number}" + (" (dry run: nothing written)" if dry_run else "")
    )


def _formats(value: str) -> list[NoticeFormat]:
    from tasks.notice.render import FORMATS

    if value == "all":
        return available_formats()
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [fmt for fmt in chosen if fmt not in FORMATS]
    if unknown or not chosen:
        raise typer.BadParameter(f"'{value}': formats are {', '.join(FORMATS)}", param_hint="--formats")
    return [fmt for fmt in FORMATS if fmt in chosen]


def _draft_file_kind(path: Path, param: str) -> str:
    """``docx`` or ``md``, by the file's suffix (.docx; .md or .markdown)."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        return "docx"
    if suffix in (".md", ".markdown"):
        return "md"
    raise typer.BadParameter(
        f"{path.name}: a draft file ends .docx (Word) or .md (Markdown)", param_hint=param
    )


@notice_app.command("export")
def export(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    output: Path = typer.Option(
        ..., "--output", "-o", help="The file to write: .docx (Word) or .md (Markdown)."
    ),
) -> None:
    """Export a draft for editing: a Word table (one row per paragraph; edit the right column) or a
    Markdown file (a ## heading per paragraph; edit the text under it), then import it back.

    Example: zhenggai notice export 1 -o draft.docx
    """
    from tasks.notice.draft_docx import render_draft_docx
    from tasks.notice.draft_markdown import render_draft_markdown
    from tasks.notice.drafts import get_draft, paragraphs_of
    from tasks.notice.files import write_notice_file

    kind = _draft_file_kind(output, "--output")
    with database().unit_of_work() as session:
        found = get_draft(session, draft_id)
        render = render_draft_docx if kind == "docx" else render_draft_markdown
        content = render(found.id, found.round.code, paragraphs_of(found))
    write_notice_file(output, content)
    console.print(f"草稿 {draft_id} → {output}")


@notice_app.command("import")
def import_(
    draft_id: int = typer.Argument(..., help=DRAFT_HELP),
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="The edited file: .docx (Word) or .md (Markdown)."
    ),
    by: str = typer.Option("", "--by", help="Who edited it (default: the round's coordinator)."),
    dry_run: bool = typer.Option(False, "--dry-run", help=DRY_RUN),
) -> None:
    """Take back a draft edited in Word or as Markdown: every changed paragraph is shown as a diff, then
    recorded as an edit (with --dry-run only shown). The text goes through the same normalisation as
    every intake path.

    Example: zhenggai notice import 1 draft.md --dry-run
    """
    from tasks.exchange.draft_docx import read_draft_docx
    from tasks.exchange.draft_markdown import read_draft_markdown
    from tasks.notice.drafts import apply_edits, get_draft, preview_edits

    kind = _draft_file_kind(file, "FILE")
    read = read_draft_docx if kind == "docx" else read_draft_markdown
    texts = read(file.read_bytes(), draft_id, file.name)
    with database().unit_of_work() as session:
        found = get_draft(session, draft_id)
        if dry_run:
            _show_changes(preview_edits(found, texts))
            console.print("dry run: nothing written")
            return
        changed = apply_edits(
            session, found, texts, actor=by or _coordinator(found), now=settings().clock().now, source=kind
        )
        session.commit()
    _show_changes(changed)
