"""The front of the API, before any route reads a request: its address, its size, its token.

A pure ASGI middleware (it never reads the body itself):

1. a path or query parameter holding a character the ledger refuses (NUL, a control) is 400;
2. a ``Content-Length`` over the cap is 413 at once;
3. a request with a body (POST, PUT, PATCH, DELETE) to the API is authenticated first: a missing,
   unknown, revoked or expired token is 401 before a byte of the body is read (the verified principal is handed to the
   route's dependency, so the token is checked once);
4. every body is counted as it is read, chunked uploads included: past the cap the client gets 413 and
   the route sees the client gone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from flows.web.errors import refused
from models.settings import Settings
from models.text import InvalidText, normalise_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class RequestGuard:
    """See the module's docstring; ``limit`` is the cap in bytes."""

    def __init__(self, app: ASGIApp, *, settings: Settings, limit: int) -> None:
        self.app = app
        self.settings = settings
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        problem = _control_in_address(request)
        if problem is not None:
            request.state.caller = "before authentication"
            await refused(request, 400, *problem)(scope, receive, send)
            return
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            request.state.caller = "before authentication"
            await self._too_large(request, scope, receive, send)
            return
        if scope["method"] in BODY_METHODS and _route_path(scope).startswith("/api/"):
            principal, caller, reason = await run_in_threadpool(
                _authenticate, self.settings, request.headers.get("authorization")
            )
            if principal is None:
                request.state.caller = caller
                message = "send Authorization: Bearer <token>" if caller == "no token" else reason
                await refused(request, 401, "authorization", message)(scope, receive, send)
                return
            request.state.principal = principal
        await self._counted(request, scope, receive, send)

    async def _too_large(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        if not _route_path(scope).startswith("/api/"):  # a portal form: a page in Chinese
            megabytes = self.limit // (1024 * 1024)
            page = HTMLResponse(
                '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><p>上传的文件合计超过{megabytes}MB，'
                '请减少或压缩文件后返回重新提交。</p><p><a href="/">返回我的任务</a></p></html>',
                status_code=413,
            )
            await page(scope, receive, send)
            return
        message = f"the request is larger than {self.limit:,} bytes"
        await refused(request, 413, "evidence", message)(scope, receive, send)

    async def _counted(self, request: Request, scope: Scope, receive: Receive, send: Send) -> None:
        read = 0
        state = {"over": False, "started": False}

        async def counting_receive() -> Message:
            nonlocal read
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.limit:
                    state["over"] = True
                    if not state["started"]:
                        state["started"] = True
                        await self._too_large(request, scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"]:
                return  # the 413 went out; what the route answers to a vanished client is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise


def _route_path(scope: Scope) -> str:
    """The path below where the app is mounted (``parent.mount("/zhenggai", app)``)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def _authenticate(settings: Settings, header: str | None) -> tuple[Any, str, str]:
    """(principal, "", "") for a live bearer token, else (None, how the log names the caller, why the
    401 says it is refused: unknown, revoked or expired)."""
    from models.db import get_database
    from models.tables import utcnow
    from tasks.reports.tokens import describe_refused, refusal_reason, verify_token

    scheme, _, secret = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None, "no token", ""
    now = utcnow()
    with get_database(settings).unit_of_work() as session:
        found = verify_token(session, secret.strip(), now=now)
        session.commit()
        if found is None:
            return (
                None,
                describe_refused(session, secret.strip(), now),
                refusal_reason(session, secret.strip(), now=now),
            )
    return found, "", ""


def _control_in_address(request: Request) -> tuple[str, str] | None:
    """(field, message) when the path or a query parameter holds a character the ledger refuses (NUL…)."""
    try:
        normalise_text(request.scope["path"], "path", one_line=True)
        for name, value in request.query_params.multi_items():
            normalise_text(value, name, one_line=True)
    except InvalidText as error:
        return error.field, str(error).split(": ", 1)[-1]
    return None
