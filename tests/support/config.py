"""Settings every test runtime shares."""

from __future__ import annotations

TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"
