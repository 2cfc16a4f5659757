"""Files that hold personal data, kept encrypted at rest (DESIGN.md): a sealed file is a sequence of
AES-GCM records of up to `RECORD_LINES` lines each, written and read as a stream (constant memory).

    b"SBSEALED1\\n" then, per record: 4-byte big-endian length + vault.encrypt(lines)

Each record is bound to the file's label (by default its name) and its position (the AES-GCM
context), so records cannot be reordered, dropped from the middle or moved between files unnoticed;
a final record marks the end, so a truncated file is refused too.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from shebao.kit.crypto import CryptoError, vault

MAGIC = b"SBSEALED1\n"
RECORD_LINES = 2000
_END = "\x00END"


class SealedFileError(ValueError):
    """Not a complete sealed file of this name (truncated, altered, or another key)."""


def _context(name: str, position: int) -> bytes:
    return f"{name}:{position}".encode()


class SealedWriter:
    """Write lines (each without its newline) to `path`; the file appears whole, or not at all."""

    def __init__(self, path: Path, *, label: str | None = None) -> None:
        self.path = path
        self.label = label or path.name
        self._tmp = path.with_name(path.name + ".part")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._tmp.open("wb")
        os.chmod(self._tmp, 0o600)
        self._file.write(MAGIC)
        self._lines: list[str] = []
        self._position = 0

    def write(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= RECORD_LINES:
            self._flush()

    def _record(self, text: str) -> None:
        blob = vault().encrypt(text, context=_context(self.label, self._position))
        self._file.write(struct.pack(">I", len(blob)) + blob)
        self._position += 1

    def _flush(self) -> None:
        if self._lines:
            self._record("\n".join(self._lines))
            self._lines = []

    def close(self) -> None:
        self._flush()
        self._record(_END)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def read_lines(path: Path, *, label: str | None = None) -> Iterator[str]:
    """The lines of a sealed file, in order; SealedFileError if it is incomplete or altered."""
    name = label or path.name
    with path.open("rb") as file:
        if file.read(len(MAGIC)) != MAGIC:
            raise SealedFileError(f"{path.name} is not a sealed file")
        position = 0
        while True:
            size = file.read(4)
            if len(size) < 4:
                raise SealedFileError(f"{path.name} is truncated")
            blob = file.read(struct.unpack(">I", size)[0])
            try:
                text = vault().decrypt(blob, context=_context(name, position))
            except (CryptoError, ValueError) as exc:
                raise SealedFileError(f"{path.name}: record {position} does not decrypt") from exc
            except Exception as exc:  # cryptography's InvalidTag
                raise SealedFileError(f"{path.name}: record {position} does not decrypt") from exc
            position += 1
            if text == _END:
                return
            yield from text.split("\n")
