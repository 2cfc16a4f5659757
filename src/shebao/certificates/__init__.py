"""社保缴费证明: certificate requests, generation in the worker, the signed PDF and public verification."""
