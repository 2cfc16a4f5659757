"""缴费金额设置 (1.7), 缴费金额作废 (1.8) and the batch deduction (批扣) that deducts by the settings."""
