"""The JSON API under /api: one router per resource (service, reports, units, measures, evidence)."""
