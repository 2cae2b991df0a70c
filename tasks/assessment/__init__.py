"""Unit assessment (考评): the records gathered from the ledger, rankings computed and stored per period, 加减分, exports and the views the pages need."""
