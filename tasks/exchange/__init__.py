"""Exchange with the documents a bureau already has: a published notice read into a plan, the Excel 整改台账 both ways."""
