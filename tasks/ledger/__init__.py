"""The ledger: the plan schema, validation and loading, its export, YAML positions, status history, the read queries."""
