"""``serve`` hands its runner the deployments the sync just left on the server, without reading them again."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID, uuid4

from flows.serve import RegisteredDeployment, register_new


class Runner:
    """What ``register_new`` needs of Prefect's runner: deployments added, by name and id."""

    def __init__(self) -> None:
        self.added: list[tuple[str, UUID]] = []

    async def aadd_deployment(self, deployment: Any) -> UUID:
        assert isinstance(deployment, RegisteredDeployment)
        self.added.append((deployment.name, deployment.deployment_id))
        return deployment.deployment_id


def test_the_synced_deployments_are_served_without_a_read() -> None:
    synced = {"CITY-001-1": uuid4(), "CITY-001-2": uuid4()}
    runner = Runner()
    known = {synced["CITY-001-2"]}  # already served

    added = asyncio.run(register_new(runner, known, synced))

    assert added == 1
    assert runner.added == [("CITY-001-1", synced["CITY-001-1"])]
    assert known == set(synced.values())
