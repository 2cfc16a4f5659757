"""What a tax office operator looks into from the CLI: duplicate payments to refund, reconciliation issues."""
