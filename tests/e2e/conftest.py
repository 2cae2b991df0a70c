"""What the end-to-end tests share: Debian's chromium for the browser tests, one per test module; a Prefect
harness with no measure deployments."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright, launched once for a module's tests."""
    with chromium() as launched:
        yield launched


async def _delete_measure_deployments() -> None:
    from prefect.client.orchestration import get_client

    from tasks.schedule.sync import read_managed

    async with get_client() as client:
        ids = [str(deployment.id) for deployment in await read_managed(client)]
        # One request a batch (the server deletes up to 50 at once), not one a deployment: 28 one by one
        # took 2-3 s of every test's set-up.
        for start in range(0, len(ids), 50):
            batch = ids[start : start + 50]
            response = await client._client.post(
                "/deployments/bulk_delete", json={"deployments": {"id": {"any_": batch}}, "limit": 50}
            )
            response.raise_for_status()
            assert len(response.json()["deleted"]) == len(batch)


@pytest.fixture
def clean_server() -> None:
    """The harness lives for the session: start with no measure deployments, so none of their runs either
    (Prefect deletes a deployment's scheduled runs with it; a test that asked for runs of 2023 would
    otherwise leave them due for the next ``serve`` on that harness to run)."""
    asyncio.run(_delete_measure_deployments())
