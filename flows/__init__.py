"""Orchestration and front doors: Prefect flows and the tasks they run, the ``zhenggai`` CLI, the HTTP app."""
