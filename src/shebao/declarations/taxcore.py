"""The tax core adapter (DESIGN.md): the system of record that accepts or refuses declarations.

The built-in one accepts at once. A deployment that forwards declarations to an external tax core
answers `processing` until the core calls back (the settlement core's `declare` submits).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from shebao.declarations.models import Declaration


@dataclass(frozen=True)
class Decision:
    outcome: Literal["accepted", "processing", "refused"]
    reason: str | None = None


class TaxCore(Protocol):
    def submit(self, declaration: Declaration) -> Decision: ...


class BuiltinTaxCore:
    def submit(self, declaration: Declaration) -> Decision:
        return Decision("accepted")


class DeferredTaxCore:
    """Answers `processing`: the declaration waits for the external core's decision."""

    def submit(self, declaration: Declaration) -> Decision:
        return Decision("processing")


_current: TaxCore = BuiltinTaxCore()


def tax_core() -> TaxCore:
    return _current


def use(core: TaxCore) -> None:
    global _current
    _current = core
