"""The official working-day calendar the bureau adds: holiday arrangements read from files and kept in the ledger."""
