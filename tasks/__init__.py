"""Work, in feature packages (ledger, reports, notify, notice, exchange, schedule): see docs/architecture.md."""
