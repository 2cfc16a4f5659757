"""How a refused form shows its error: beside the field it concerns, on the form, said once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from shebao.errors import ShebaoError


@dataclass(frozen=True)
class FormErrors:
    summary: str | None = None  # shown above the form: what no field of the form can carry
    fields: dict[str, str] = field(default_factory=dict)  # beside each field: its message

    def __bool__(self) -> bool:
        return bool(self.summary or self.fields)

    def get(self, name: str) -> str | None:
        return self.fields.get(name)


def form_errors(
    error: ShebaoError | None, names: Iterable[str], aliases: dict[str, str] | None = None
) -> FormErrors:
    """Place `error` on a form with fields `names`. One field concerned: the error's full message beside it
    (it names the field and what to do). Several: each field's own reason beside it, and a count above.
    None of the form's fields (or none named): the message above the form. `aliases` maps an error's field
    name to the form's (the API says `annual_amount` where the page has `other_amount`)."""
    if error is None:
        return FormErrors()
    shown = set(names)
    placed = {(aliases or {}).get(name, name): reason for name, reason in error.fields.items()}
    placed = {name: reason for name, reason in placed.items() if name in shown}
    if not placed:
        return FormErrors(summary=error.detail)
    if len(placed) == 1:
        return FormErrors(fields={name: error.detail for name in placed})
    return FormErrors(summary=f"有{len(placed)}项需要修改，请按标红的提示修改后重新提交", fields=placed)


def period_span(start: str, end: str) -> str:
    """费款所属期 as the pages say it: one month once (2025-05), a range with 至 (2025-01 至 2025-12)."""
    return start if start == end else f"{start} 至 {end}"
