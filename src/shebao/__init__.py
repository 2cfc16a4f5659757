"""shebao — the natural-person social insurance fee system (自然人社保费系统)."""

__version__ = "0.1.0"
