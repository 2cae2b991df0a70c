"""What an API request depends on: the settings, the database, the clock, the bearer principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from flows.web.errors import Refusal
from models.clock import Clock
from models.db import Database, get_database
from models.settings import Settings
from models.tables import utcnow
from tasks.calendar.ledger import ledger_clock
from tasks.reports.tokens import Principal, describe_refused, refusal_reason, verify_token

bearer = HTTPBearer(auto_error=False, description="A token from `zhenggai token issue`.")


def app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def database(settings: Annotated[Settings, Depends(app_settings)]) -> Database:
    """The configured database (its schema checked once per process)."""
    return get_database(settings)


def clock(settings: Annotated[Settings, Depends(app_settings)]) -> Clock:
    """The clock at the moment the request is handled."""
    return ledger_clock(get_database(settings), settings, utcnow())


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    db: Annotated[Database, Depends(database)],
) -> Principal:
    """Who the bearer token speaks for; 401 when it is missing, unknown, revoked or expired (naming why).

    A request with a body was authenticated by ``flows.web.guard`` before its body was read: that
    principal is used, the token is not checked twice.
    """
    verified: Principal | None = getattr(request.state, "principal", None)
    if verified is not None:
        return verified
    if credentials is None:
        request.state.caller = "no token"
        raise Refusal(401, "authorization", "send Authorization: Bearer <token>")
    now = utcnow()
    reason = ""
    with db.unit_of_work() as session:
        found = verify_token(session, credentials.credentials, now=now)
        session.commit()
        if found is None:
            request.state.caller = describe_refused(session, credentials.credentials, now)
            reason = refusal_reason(session, credentials.credentials, now=now)
    if found is None:
        raise Refusal(401, "authorization", reason)
    request.state.principal = found
    return found


Config = Annotated[Settings, Depends(app_settings)]
Db = Annotated[Database, Depends(database)]
Now = Annotated[Clock, Depends(clock)]
Caller = Annotated[Principal, Depends(principal)]


def actor(caller: Principal) -> str:
    """How the ledger's history names an API caller."""
    return f"api {caller.display}"[:100]
