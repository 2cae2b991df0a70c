"""The ledger: plans checked, loaded and exported, measures' cadences and status history, and the read queries."""
