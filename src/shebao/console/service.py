"""Operators' login, password change and logout (the console's own rules, apart from the payers').

Failures count per operator: at `LOCK_AFTER` in a row the operator is locked for `LOCK_FOR`; the others
are not. Failures also count per client address: past `FAILURES_PER_ADDRESS` the address is locked, so
one address guessing many usernames cannot lock a whole office out (it stops itself first). An unknown
username counts like a known one (a lock of its own) and costs one argon2 verify: the answers and their
timing say nothing about which usernames exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, NoReturn

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.console import credentials, sessions, states
from shebao.console.errors import LoginFailed, OperatorDisabled
from shebao.console.models import ACTIVE, DISABLED, Operator, OperatorSession
from shebao.console.staff import Role, Staff
from shebao.errors import RateLimited, ValidationFailed
from shebao.identity.ratelimit import Limit, RateLimiter, key_of, minutes_left

LOCK_AFTER: Final = 5
LOCK_FOR: Final = timedelta(minutes=15)
FAILURES_PER_ADDRESS = Limit("console-fail-ip", 20, LOCK_FOR, sliding=True, lock=LOCK_FOR)
UNKNOWN_USERNAME = Limit("console-fail-unknown", LOCK_AFTER, LOCK_FOR, sliding=True, lock=LOCK_FOR)
ANONYMOUS = Actor(type="anonymous", channel="console")


def staff_of(operator: Operator) -> Staff:
    return Staff(operator.id, operator.username, Role(operator.role), operator.tax_office_code)


def find_operator(session: Session, username: str) -> Operator | None:
    return session.scalar(select(Operator).where(Operator.username == username.strip()))


@dataclass(frozen=True)
class LoggedIn:
    operator: Operator
    login: OperatorSession
    token: str


class ConsoleLogin:
    """The rules of one request, in its step's session at its service time `now`."""

    def __init__(self, session: Session, *, now: datetime, client_address: str) -> None:
        self.session = session
        self.now = now
        self.limiter = RateLimiter(session)
        self.address_key = key_of(client_address)

    def login(self, username: str, password: str, totp: str, *, kind: str) -> LoggedIn:
        self._refuse_if_locked(self.limiter.locked_until(FAILURES_PER_ADDRESS, self.address_key, self.now))
        operator = find_operator(self.session, username)
        if operator is None:
            name_key = key_of(username.strip())
            self._refuse_if_locked(self.limiter.locked_until(UNKNOWN_USERNAME, name_key, self.now))
            credentials.password_matches(None, password)  # the same work as a known username
            self.limiter.fail(UNKNOWN_USERNAME, name_key, self.now)
            self._failed(ANONYMOUS, "unknown", {"reason": "unknown_username"})
        if operator.locked_until is not None and operator.locked_until > self.now:
            self._refuse_if_locked(operator.locked_until)
        password_ok = credentials.password_matches(operator.password_hash, password)
        step = credentials.matching_step(operator.totp_secret, totp, last_step=operator.totp_last_step)
        if not password_ok or step is None:
            self._count_failure(operator, "password" if not password_ok else "totp")
        if operator.status == DISABLED:
            record(
                self.session,
                actor=staff_of(operator).actor,
                action="console.login_refused",
                object_type="operator",
                object_id=operator.id,
                at=self.now,
                after={"reason": "disabled"},
            )
            raise OperatorDisabled().counted()
        operator.failed_logins, operator.locked_until, operator.totp_last_step = 0, None, step
        row, token = sessions.open_session(self.session, operator.id, kind=kind, now=self.now)
        record(
            self.session,
            actor=staff_of(operator).actor,
            action="console.login",
            object_type="operator",
            object_id=operator.id,
            at=self.now,
            after={"password_change_required": operator.password_change_required, "kind": kind},
        )
        return LoggedIn(operator, row, token)

    def change_password(self, staff: Staff, login_id: object, new_password: str) -> None:
        operator = self.session.get(Operator, staff.id, with_for_update=True)
        if operator is None:  # ended by the dependency already; kept for the type
            raise LoginFailed()
        check_new_password(operator, new_password)
        operator.password_hash = credentials.hash_password(new_password)
        before = states.move(operator, ACTIVE, at=self.now)
        ended = sessions.end_all(self.session, operator.id, now=self.now, keep=login_id)  # type: ignore[arg-type]
        record(
            self.session,
            actor=staff.actor,
            action="console.password_changed",
            object_type="operator",
            object_id=operator.id,
            at=self.now,
            before={"status": before},
            after={"status": operator.status, "other_sessions_ended": ended},
        )

    def logout(self, staff: Staff, login: OperatorSession) -> None:
        sessions.end_session(self.session, login.id, now=self.now)
        record(
            self.session,
            actor=staff.actor,
            action="console.logout",
            object_type="operator",
            object_id=staff.id,
            at=self.now,
        )

    # failures -------------------------------------------------------------------------------------
    def _refuse_if_locked(self, until: datetime | None) -> None:
        if until is None:
            return
        raise RateLimited(
            f"登录失败次数过多，已暂时锁定，请{minutes_left(until, self.now)}分钟后再试",
            retry_after=until - self.now,
        )

    def _count_failure(self, operator: Operator, reason: str) -> NoReturn:
        operator.failed_logins += 1
        actor = staff_of(operator).actor
        locked = operator.failed_logins >= LOCK_AFTER
        if locked:
            operator.failed_logins, operator.locked_until = 0, self.now + LOCK_FOR
        self._failed(actor, operator.id, {"reason": reason, "locked": locked})

    def _failed(self, actor: Actor, object_id: object, after: dict[str, object]) -> NoReturn:
        self.limiter.fail(FAILURES_PER_ADDRESS, self.address_key, self.now)
        record(
            self.session,
            actor=actor,
            action="console.login_failed",
            object_type="operator",
            object_id=object_id,
            at=self.now,
            after=after,
        )
        if after.get("locked"):
            record(
                self.session,
                actor=actor,
                action="console.locked",
                object_type="operator",
                object_id=object_id,
                at=self.now,
                after={"until": (self.now + LOCK_FOR).isoformat()},
            )
        raise LoginFailed().counted()


def check_new_password(operator: Operator, new_password: str) -> None:
    """Length ≥ 12 and not the password it replaces (the one-time one, at first login)."""
    message = None
    if len(new_password) < credentials.MIN_PASSWORD_LENGTH:
        message = f"新密码至少{credentials.MIN_PASSWORD_LENGTH}位"
    elif len(new_password) > credentials.MAX_PASSWORD_LENGTH:
        message = f"新密码不能超过{credentials.MAX_PASSWORD_LENGTH}位"
    elif new_password.strip() != new_password or not new_password.isprintable():
        message = "新密码不能以空格开头或结尾，也不能含有不可见字符"
    elif new_password.lower() == operator.username.lower():
        message = "新密码不能与用户名相同"
    elif credentials.password_matches(operator.password_hash, new_password):
        message = "新密码不能与原密码（含初始密码）相同"
    if message:
        raise ValidationFailed(message, fields={"new_password": message})
