"""Who works in the console: `Staff`, the logged-in operator as every console section sees it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true

from shebao.audit.service import Actor


class Role(StrEnum):
    """Roles from least to most: each includes what the ones before it may do."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    APPROVER = "approver"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


_ORDER = (Role.VIEWER, Role.OPERATOR, Role.APPROVER, Role.ADMIN)
ROLE_LABELS = {Role.VIEWER: "查看员", Role.OPERATOR: "经办员", Role.APPROVER: "审核员", Role.ADMIN: "管理员"}


@dataclass(frozen=True)
class Staff:
    id: uuid.UUID
    username: str
    role: Role
    tax_office_code: str | None  # None only for an admin of all offices

    def at_least(self, role: Role) -> bool:
        return self.role.rank >= role.rank

    @property
    def all_offices(self) -> bool:
        return self.tax_office_code is None and self.role is Role.ADMIN

    def sees_office(self, code: str | None) -> bool:
        """May this operator see an object of tax office `code`? Another office's object is a 404."""
        return self.all_offices or (code is not None and code == self.tax_office_code)

    def office_filter(self, column: Any) -> ColumnElement[bool]:
        """`sees_office` as a SQL condition on a tax office code column."""
        if self.all_offices:
            return true()
        if self.tax_office_code is None:  # not an admin, yet of no office: nothing
            return false()
        return column == self.tax_office_code  # type: ignore[no-any-return]

    @property
    def actor(self) -> Actor:
        return Actor(type="operator", id=self.username, channel="console")
