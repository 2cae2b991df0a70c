"""The service itself: health (no token) and who the presented token is."""

from __future__ import annotations

from fastapi import APIRouter

from flows.web.deps import Caller
from flows.web.schemas import Health, Me

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Whether the API is up (no token needed)."""
    return Health()


@router.get("/me", response_model=Me)
def me(caller: Caller) -> Me:
    """What the presented token is: id, label, role and unit."""
    return Me(token_id=caller.token_id, label=caller.label, role=caller.role, unit=caller.unit_code)
