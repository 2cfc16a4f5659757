"""Every periodic and queued task, gathered so `shebao worker` registers them all."""

from __future__ import annotations
