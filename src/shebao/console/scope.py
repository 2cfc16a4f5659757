"""Which tax office's data a console request may see, as one SQL condition and one Python check.

`shebao.console.staff.Staff` is the scope of a logged-in operator; the query layer asks only for what
this protocol names, so its rules are the staff's own (an all-offices admin: every office).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement


class OfficeScope(Protocol):
    def sees_office(self, code: str | None) -> bool: ...

    def office_filter(self, column: Any) -> ColumnElement[bool]: ...
