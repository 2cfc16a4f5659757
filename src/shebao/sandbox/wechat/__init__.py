"""The simulated WeChat Pay: API v3 (JSAPI, H5, query, close), the H5 cashier, signed and encrypted
callbacks — the real protocol, its own platform key."""
