"""Backup and restore: the whole ledger (a consistent database snapshot, evidence files, notices) as one archive."""
