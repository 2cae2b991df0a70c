"""Orchestration and front doors: Prefect flows, the ``zhenggai`` CLI, the HTTP API."""
