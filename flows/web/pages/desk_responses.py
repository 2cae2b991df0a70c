"""What every desk page answers with: the page rendered (never cached), the desk's base context, its error
page and the 403 page a leader gets for a write. Shared by the desk's page modules (desk.py, desk_checks.py,
desk_contacts.py, desk_downloads.py, desk_notice.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from flows.web.pages.session import Visitor, page_context
from models.errors import Forbidden
from models.rules import LIGHT_LABEL, STATE_LABEL
from models.settings import Settings
from tasks.reports.access import check_desk_action, may_take
from tasks.reports.desk import LIGHT_WORD

# A leader's refusal on the review desk's writes (the other pages name what a leader may not do there).
LEADER_MAY_NOT_REVIEW = "领导账号只能查看，不能办理销号、退回、延期审批等操作。"


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    """A desk template rendered; never cached (it shows the ledger as of now, to a signed-in visitor)."""
    templates = request.app.state.templates
    response: HTMLResponse = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def desk_context(request: Request, config: Settings, visitor: Visitor, **values: Any) -> dict[str, Any]:
    """The values every desk page's template gets: the session's, what the visitor may do, the labels."""
    return page_context(
        request,
        config,
        visitor,
        may_review=may_take(visitor.principal, "accept"),
        may_decide=may_take(visitor.principal, "decide_extension"),
        light_word=LIGHT_WORD,
        light_label=LIGHT_LABEL,
        state_label=STATE_LABEL,
        **values,
    )


def error_page(request: Request, visitor: Visitor, status: int, heading: str, message: str) -> HTMLResponse:
    """The desk's error page: a heading and a message in Chinese, with the status given."""
    config: Settings = request.app.state.settings
    return render(
        request,
        "error.html",
        desk_context(request, config, visitor, heading=heading, message=message),
        status,
    )


def refusal_page(
    request: Request, visitor: Visitor, action: str, message: str = LEADER_MAY_NOT_REVIEW
) -> HTMLResponse | None:
    """The 403 page when the visitor may not take ``action`` on the desk (a leader), else None."""
    try:
        check_desk_action(visitor.principal, action)
    except Forbidden:
        return error_page(request, visitor, 403, "没有权限", message)
    return None
