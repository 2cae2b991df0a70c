"""The desk's contacts page (``/desk/contacts``, docs/desk.md): every unit's contacts and those outside
units, their Apprise URLs masked, what each is told, the last message the log holds for each, and a
coordinator's test message (测试发送) through the normal delivery path: recorded in the delivery log
(``tasks.notify.contacts.record_test_message``), then sent by the outbox (``tasks.notify.outbox.deliver``),
its outcome shown on the page. Leaders read the page; their post is refused (403) before anything changes.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from flows.web.deps import Config, Db, Now
from flows.web.pages.desk import DELIVERY_LABEL
from flows.web.pages.desk_responses import desk_context, error_page, refusal_page, render
from flows.web.pages.session import DeskSignedIn, posted_form
from models.errors import ContactUnreachable, UnknownContact

router = APIRouter(include_in_schema=False)


def _ids(value: str) -> list[int]:
    """The test messages' ids a redirect names (``?sent=12,13``); anything else is ignored."""
    return [int(part) for part in value.split(",")[:20] if part.isdigit()]


@router.get("/desk/contacts", response_class=HTMLResponse)
def contacts_page(
    request: Request, config: Config, db: Db, visitor: DeskSignedIn, sent: str = "", contact: str = ""
) -> HTMLResponse:
    """The contacts by unit, then those outside units; after a test message, how it went."""
    from tasks.notify.contacts import contact_book, sent_test_outcomes

    with db.unit_of_work() as session:
        units, loose = contact_book(session, config.rate_limits)
        outcomes = sent_test_outcomes(session, _ids(sent)) if sent else []
    context = desk_context(
        request,
        config,
        visitor,
        units=units,
        loose=loose,
        outcomes=outcomes,
        tested=contact[:64],
        status_label=DELIVERY_LABEL,
        may_test=refusal_page(request, visitor, "test_send") is None,
        digest_hour=config.digest_hour.strftime("%H:%M"),
    )
    return render(request, "desk/contacts.html", context)


@router.post("/desk/contacts/{code}/test", response_model=None)
async def post_test_message(
    request: Request, code: str, config: Config, db: Db, now: Now, visitor: DeskSignedIn
) -> Response:
    """Record one test message to each of the contact's URLs and send it now (one attempt; a failure is
    shown, and 重发 on the messages page sends it again by the delivery rules)."""
    from tasks.notify.contacts import record_test_message
    from tasks.notify.outbox import deliver
    from tasks.notify.sender import AppriseSender

    await posted_form(request, db, visitor)
    if refusal := refusal_page(request, visitor, "test_send"):
        return refusal
    try:
        with db.unit_of_work() as session:
            recorded = record_test_message(session, code, now, asked_by=visitor.principal.label)
            session.commit()
    except UnknownContact:
        return error_page(request, visitor, 404, "没有这个联系人", f"没有联系人“{code[:64]}”。")
    except ContactUnreachable:
        return error_page(
            request,
            visitor,
            422,
            "未能发送",
            "这个联系人没有登记接收地址（Apprise URL），请在计划文件中补充。",
        )
    # Sending blocks on the far end (seconds at worst): off the event loop.
    await run_in_threadpool(
        deliver, db, AppriseSender(), recorded.new_ids, now=now.now, concurrency=4, max_attempts=1
    )
    ids = ",".join(str(i) for i in recorded.new_ids)
    return RedirectResponse(f"/desk/contacts?sent={ids}&contact={code}#contact-{code}", status_code=303)
