"""State: typed ORM tables, the database and unit of work, and pure domain rules (no I/O, no Prefect)."""
