"""The progress notice (通报): the document loaded from the ledger, rendered as text, Markdown, HTML, DOCX and PDF, written and versioned."""
