"""Files a process creates once and every process then shares (dev keys, signing material)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_once(path: Path, content: bytes) -> None:
    """Write `path` (mode 600) unless it exists. Concurrent first uses agree: the first hard link
    wins and the others read its file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.chmod(temp, 0o600)
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process got there first: use its file
    finally:
        os.unlink(temp)
