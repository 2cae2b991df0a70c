"""Progress reports: recording and intake, evidence files, review (销号), API tokens and who may see and do what."""
