"""Notifications: planning messages from the ledger, the delivery outbox and its log, rendering, the Apprise sender."""
