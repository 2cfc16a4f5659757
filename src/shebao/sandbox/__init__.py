"""Simulated providers (dev, demo and test only; never mounted in production)."""
