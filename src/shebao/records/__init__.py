"""Payment records (缴费记录): what was paid, on every channel, for whom and by whom (1.3, 1.6, 1.10)."""
