"""Schedules: a measure's check at its scheduled time, the deployments the ledger wants, and the sync that makes Prefect hold them."""
