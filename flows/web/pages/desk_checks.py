"""The desk's recurring checks and deadlines (定期检查与完成时限): ``/desk/checks`` (docs/desk.md).

The round's measures with their cadence, deadline, owner unit, leader and reminders, each linked to its
deployment and last flow run in the Prefect UI when ``PREFECT_UI_URL`` is set. A coordinator changes a
measure's cadence (in the coordinators' words), deadline, owner unit and leader, or adds a measure to a
problem: the form previews the next ten runs on the working-day calendar (a GET: it changes nothing),
``/desk/checks/diff`` shows the field diff ``plan load --dry-run`` shows, and ``/desk/checks/save`` writes it
through the plan's rules (``tasks.ledger.desk_measures``), then re-syncs the round's deployments as the
review desk does (``flows.review.sync_after_review``). Leaders see every page without its forms and every
POST is refused (403). Every form posts with the session's CSRF token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from flows.review import sync_after_review
from flows.web.deps import Config, Db, Now
from flows.web.pages.desk_responses import error_page, refusal_page, render
from flows.web.pages.session import DeskSignedIn, Visitor, page_context, posted_form
from models.cadence import PreviewDay, parse_cadence, preview_runs
from models.clock import Clock
from models.errors import InvalidPlan, InvalidSchedule, UnknownMeasure, ZhenggaiError
from models.rules import STATUS_LABEL
from models.settings import Settings
from tasks.ledger.desk_measures import check_choices, first_round
from tasks.reports.access import may_take

router = APIRouter(include_in_schema=False)
ACTION = "edit_measure"
EDITABLE = ("problem", "marker", "text", "lead_unit", "leader", "deadline", "cadence", "reminders")
REFUSED = "领导账号只能查看，不能修改检查频次、完成时限或新增措施。"
SYNC_PREFIXES = ("deployment not synced", "deployments of round")


def _context(request: Request, config: Settings, visitor: Visitor, **values: Any) -> dict[str, Any]:
    return page_context(
        request,
        config,
        visitor,
        may_edit=may_take(visitor.principal, ACTION),
        prefect_ui=bool(config.prefect_ui_url),
        status_label={s.value: label for s, label in STATUS_LABEL.items()},
        reminders="、".join(str(n) for n in config.reminder_offsets),
        **values,
    )


# -- the list -----------------------------------------------------------------------------------------


@router.get("/desk/checks", response_class=HTMLResponse)
def checks(
    request: Request,
    config: Config,
    db: Db,
    visitor: DeskSignedIn,
    round: str = "",
    done: str = "",
    sync: str = "",
) -> HTMLResponse:
    """The round's measures with cadence, deadline, owner unit, leader, reminders and Prefect links."""
    from tasks.ledger.desk_measures import check_rows

    try:
        with db.unit_of_work() as session:
            round_code = round or first_round(session)
            rows = check_rows(session, round_code)
            problems = check_choices(session, round_code).problems
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    context = _context(
        request,
        config,
        visitor,
        round_code=round_code,
        rows=rows,
        problems=problems,
        labels={row.code: _label(row.effective) for row in rows if row.effective},
        done=done[:64],
        sync=sync[:300] if sync.startswith(SYNC_PREFIXES) else "",
    )
    return render(request, "desk/checks.html", context)


def _label(cadence: str) -> str:
    """A cadence in the coordinators' words; a stored text no longer read (an older release's) as written."""
    try:
        return parse_cadence(cadence).label
    except InvalidSchedule:
        return cadence


@router.get("/desk/checks/{code}/deployment", response_model=None)
def deployment_link(request: Request, code: str, config: Config, visitor: DeskSignedIn) -> Response:
    """To the measure's deployment in the Prefect UI (``PREFECT_UI_URL``)."""
    from tasks.schedule.prefect_links import deployment_page

    return _to_prefect(request, config, visitor, code, deployment_page, "Prefect 中还没有这项措施的部署。")


@router.get("/desk/checks/{code}/last-run", response_model=None)
def last_run_link(request: Request, code: str, config: Config, visitor: DeskSignedIn) -> Response:
    """To the last flow run of the measure's deployment in the Prefect UI (``PREFECT_UI_URL``)."""
    from tasks.schedule.prefect_links import last_run_page

    return _to_prefect(request, config, visitor, code, last_run_page, "这项措施的部署还没有运行过。")


def _to_prefect(
    request: Request, config: Settings, visitor: Visitor, code: str, find: Any, none: str
) -> Response:
    if not config.prefect_ui_url:
        return error_page(request, visitor, 404, "没有配置 Prefect 界面", "未设置 PREFECT_UI_URL。")
    try:
        url = find(config.prefect_ui_url, code)
    except Exception as error:  # Prefect unreachable: said on the page, never a traceback
        return error_page(request, visitor, 502, "Prefect 暂时无法访问", f"{type(error).__name__}: {error}")
    if url is None:
        return error_page(request, visitor, 404, "Prefect 中没有找到", none)
    return RedirectResponse(url, status_code=302)


# -- the form and its preview ---------------------------------------------------------------------------


def _given(request: Request) -> dict[str, str]:
    """The form's fields as the query string or the posted form gives them (trimmed, bounded)."""
    return {k: str(request.query_params.get(k) or "").strip()[:500] for k in EDITABLE}


def _posted(form: FormData) -> dict[str, str]:
    return {k: str(form.get(k) or "").strip()[:500] for k in EDITABLE}


def _edit(round_code: str, code: str | None, values: dict[str, str], new_code: str = "") -> Any:
    from tasks.ledger.desk_measures import MeasureEdit

    problem = values.get("problem", "")
    return MeasureEdit(
        round_code=round_code,
        code=code,
        problem=int(problem) if problem.isdigit() else 0,
        marker=values.get("marker", ""),
        text=values.get("text", ""),
        lead_unit=values.get("lead_unit") or None,
        leader=values.get("leader") or None,
        deadline=values.get("deadline") or "长期坚持",
        cadence=values.get("cadence") or None,
        reminders=values.get("reminders", ""),
        new_code=new_code or None,
    )


def _preview(cadence: str | None, clock: Clock, feedback_date: Any) -> tuple[list[PreviewDay], str]:
    """The next ten runs of ``cadence`` (none without one), or the message of what is wrong in it."""
    if not cadence:
        return [], ""
    try:
        after = clock.local(clock.now).replace(tzinfo=None)  # the schedule's wall clock
        return preview_runs(cadence, clock.calendar, feedback_date, after, 10), ""
    except (InvalidSchedule, ZhenggaiError) as error:
        return [], str(error)


def _form_page(
    request: Request,
    config: Config,
    db: Db,
    now: Now,
    visitor: Visitor,
    *,
    round_code: str,
    code: str | None,
    values: dict[str, str],
    previewing: bool,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    from tasks.ledger.desk_measures import form_issues

    with db.unit_of_work() as session:
        choices = check_choices(session, round_code)
    errors = dict(errors or {})
    if previewing:
        errors.update({i.field: i.message for i in form_issues(_edit(round_code, code, values))})
    runs, _problem = _preview(values.get("cadence") or None, now, choices.feedback_date)
    context = _context(
        request,
        config,
        visitor,
        round_code=round_code,
        code=code,
        values=values,
        choices=choices,
        runs=runs,
        previewing=previewing,
        errors=errors,
    )
    return render(request, "desk/check_edit.html", context, 422 if errors and status == 200 else status)


@router.get("/desk/checks/new", response_class=HTMLResponse)
def new_measure(
    request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn, round: str = ""
) -> HTMLResponse:
    """The form to add a measure to a problem (``problem``: its ordinal), with the preview of its cadence."""
    try:
        with db.unit_of_work() as session:
            round_code = round or first_round(session)
            check_choices(session, round_code)  # an unknown round: UnknownRound
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    values = _given(request)
    previewing = "preview" in request.query_params
    return _form_page(
        request,
        config,
        db,
        now,
        visitor,
        round_code=round_code,
        code=None,
        values=values,
        previewing=previewing,
    )


@router.get("/desk/checks/{code}", response_class=HTMLResponse)
def edit_measure_page(
    request: Request, code: str, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> HTMLResponse:
    """A measure's cadence, deadline, owner unit and leader, the form to change them and the preview of the
    next ten runs (of the values in the query string when ``preview`` is given)."""
    from tasks.ledger.desk_measures import measure_edit_of

    try:
        with db.unit_of_work() as session:
            current = measure_edit_of(session, code)
    except UnknownMeasure:
        return error_page(request, visitor, 404, "没有这项措施", f"台账中没有编号为 {code} 的措施。")
    previewing = "preview" in request.query_params
    values = _given(request) if previewing else _values(current)
    values["problem"], values["text"], values["marker"] = str(current.problem), current.text, current.marker
    return _form_page(
        request,
        config,
        db,
        now,
        visitor,
        round_code=current.round_code,
        code=code,
        values=values,
        previewing=previewing,
    )


def _values(edit: Any) -> dict[str, str]:
    return {k: "" if getattr(edit, k) is None else str(getattr(edit, k)) for k in EDITABLE}


# -- the diff and the save --------------------------------------------------------------------------------


def _round_of(db: Db, code: str | None, given: str) -> str:
    from tasks.ledger.desk_measures import measure_edit_of

    with db.unit_of_work() as session:
        return measure_edit_of(session, code).round_code if code else given or first_round(session)


def _issues(error: InvalidPlan) -> dict[str, str]:
    """An ``InvalidPlan``'s issues by the form's field (the plan's dotted path ends with it)."""
    out: dict[str, str] = {}
    for issue in error.issues:
        name = issue.field.rsplit(".", 1)[-1].split("[", 1)[0] if issue.field else ""
        key = name if name in EDITABLE else "form"
        out[key] = f"{out[key]}；{issue.message}" if key in out else issue.message
    return out


@router.post("/desk/checks/diff", response_model=None)
async def post_diff(request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """What saving would change, field by field (the diff ``plan load --dry-run`` shows); nothing is written."""
    form = await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, ACTION, REFUSED):
        return refusal
    shown = _diff_or_save(request, config, db, now, visitor, form, save=False)
    assert isinstance(shown, Response)
    return shown


@router.post("/desk/checks/save", response_model=None)
async def post_save(request: Request, config: Config, db: Db, now: Now, visitor: DeskSignedIn) -> Response:
    """Write the change through the plan's rules (history with the actor ``desk <label>``), then re-sync
    the round's deployments in Prefect."""
    form = await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, ACTION, REFUSED):
        return refusal
    saved = _diff_or_save(request, config, db, now, visitor, form, save=True)
    if isinstance(saved, Response):
        return saved
    round_code, code = saved
    # The change is committed; the sync runs Prefect's client on its own event loop, off this one.
    sync = await run_in_threadpool(sync_after_review, db, config, code)
    query = urlencode({"round": round_code, "done": code, "sync": sync})
    return RedirectResponse(f"/desk/checks?{query}#m-{code}", status_code=303)


def _diff_or_save(
    request: Request, config: Settings, db: Db, now: Now, visitor: Visitor, form: FormData, *, save: bool
) -> Response | tuple[str, str]:
    """The diff page (``save`` False; nothing written), or the change committed: (round, measure code); a
    form with its field messages (422) when the change is refused."""
    from tasks.ledger.desk_measures import edit_measure

    code = str(form.get("code") or "") or None
    values = _posted(form)
    try:
        round_code = _round_of(db, code, str(form.get("round") or ""))
    except ZhenggaiError as error:
        return error_page(request, visitor, 404, "没有找到", str(error))
    edit = _edit(round_code, code, values, str(form.get("new_code") or "") if save else "")
    actor = f"desk {visitor.principal.display}"[:100]
    try:
        with db.unit_of_work() as session:
            result = edit_measure(session, edit, now, actor=actor)
            if save:
                session.commit()
            else:
                session.rollback()
    except InvalidPlan as error:
        return _form_page(
            request, config, db, now, visitor, round_code=round_code, code=code, values=values,
            previewing=True, errors=_issues(error), status=422,
        )  # fmt: skip
    except UnknownMeasure:
        return error_page(request, visitor, 404, "没有这项措施", f"台账中没有编号为 {code} 的措施。")
    except ZhenggaiError as error:  # an unknown round
        return error_page(request, visitor, 404, "没有找到这一轮整改", str(error))
    if not save:
        context = _context(
            request,
            config,
            visitor,
            round_code=round_code,
            code=code,
            new_code=result.code if result.added else "",
            values=values,
            diff=result.changes.diff(),
            summary=result.changes.summary(),
        )
        return render(request, "desk/check_confirm.html", context)
    return round_code, result.code
