"""Operators' lifecycle, as `shebao operators add|disable|reset` runs it: each change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.console import credentials, sessions, states
from shebao.console.models import DISABLED, PENDING, Operator
from shebao.console.service import find_operator
from shebao.console.staff import Role
from shebao.errors import Conflict, NotFound, ValidationFailed
from shebao.reference.models import TaxOffice

USERNAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")


@dataclass(frozen=True)
class Enrolment:
    """What the new (or reset) operator is handed, once: never stored in the clear, never logged."""

    operator: Operator
    one_time_password: str
    totp_uri: str


class Operators:
    def __init__(self, session: Session, *, now: datetime, actor: Actor) -> None:
        self.session = session
        self.now = now
        self.actor = actor

    def add(self, username: str, *, role: str, tax_office: str | None) -> Enrolment:
        username = username.strip()
        if not USERNAME.fullmatch(username):
            raise ValidationFailed("用户名须为3至64位字母、数字或 . _ -，以字母或数字开头")
        try:
            parsed = Role(role)
        except ValueError as exc:
            raise ValidationFailed("角色须为 viewer、operator、approver 或 admin 之一") from exc
        office = (tax_office or "").strip() or None
        if office is None and parsed is not Role.ADMIN:
            raise ValidationFailed("除管理员外，操作员必须属于一个税务所（--tax-office）")
        if office is not None and self.session.get(TaxOffice, office) is None:
            raise ValidationFailed(f"税务所代码不存在：{office}")
        if find_operator(self.session, username) is not None:
            raise Conflict(f"用户名已存在：{username}")
        password, secret = credentials.one_time_password(), credentials.new_totp_secret()
        operator = Operator(
            username=username,
            role=parsed.value,
            tax_office_code=office,
            password_hash=credentials.hash_password(password),
            totp_secret=secret,
            status=PENDING,
            failed_logins=0,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(operator)
        self.session.flush()
        self._audit("operator.added", operator, None, {"role": parsed.value, "tax_office": office})
        return Enrolment(operator, password, credentials.provisioning_uri(secret, username))

    def disable(self, username: str) -> Operator:
        operator = self._get(username)
        if operator.status == DISABLED:
            raise Conflict(f"该操作员已停用：{operator.username}")
        before = states.move(operator, DISABLED, at=self.now)
        ended = sessions.end_all(self.session, operator.id, now=self.now)
        self._audit("operator.disabled", operator, before, {"sessions_ended": ended})
        return operator

    def reset(self, username: str) -> Enrolment:
        """A new one-time password and TOTP secret (a lost phone, a forgotten password); sessions end.
        A disabled operator is enabled again this way, to change the password at the next login."""
        operator = self._get(username)
        password, secret = credentials.one_time_password(), credentials.new_totp_secret()
        operator.password_hash = credentials.hash_password(password)
        operator.totp_secret, operator.totp_last_step = secret, None
        operator.failed_logins, operator.locked_until = 0, None
        before = states.move(operator, PENDING, at=self.now)
        ended = sessions.end_all(self.session, operator.id, now=self.now)
        self._audit("operator.reset", operator, before, {"sessions_ended": ended})
        return Enrolment(operator, password, credentials.provisioning_uri(secret, operator.username))

    def _get(self, username: str) -> Operator:
        operator = find_operator(self.session, username)
        if operator is None:
            raise NotFound(f"没有这个操作员：{username.strip()}")
        return operator

    def _audit(self, action: str, operator: Operator, before: str | None, after: dict[str, object]) -> None:
        record(
            self.session,
            actor=self.actor,
            action=action,
            object_type="operator",
            object_id=operator.id,
            at=self.now,
            before={"status": before} if before else None,
            after={"status": operator.status, **after},
        )
