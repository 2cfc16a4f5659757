"""SMS login codes: how many may be sent, which ones a login may use, and how tries count against them.

A code remembers the address that asked for it. A failed try of any kind (a wrong code, or the right
code with a name and document that do not match) counts against the codes it was tried on: as
`attempts` when it comes from the asking address, as `foreign_attempts` from anywhere else. A code
with `MAX_TRIES` of either kind no longer answers to that side, so a stranger elsewhere can spend
only the foreign tries, never the citizen's own.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from shebao.identity.models import SmsCode
from shebao.identity.repository import phone_index
from shebao.kit.crypto import blind_index

# Long enough to be read out to an elderly citizen and typed slowly (长辈模式: no time pressure); guessing
# stays bounded by MAX_TRIES, not by the lifetime.
LIFETIME = timedelta(minutes=10)
LIFETIME_MINUTES = int(LIFETIME.total_seconds() // 60)
MAX_TRIES = 5  # from the asking address; as many again from all other addresses together
INTERVAL = timedelta(seconds=60)  # per (phone, address)
DAY = timedelta(hours=24)
PER_PHONE_ADDRESS_DAY = 10
PER_PHONE_DAY_BEFORE_CAPTCHA = 10  # all addresses together: past this, each code needs a captcha
PER_PHONE_DAY = 30  # the ceiling, whoever asks


def code_hash(phone: str, code: str) -> str:
    return blind_index(f"{phone}:{code}", kind="sms-code")


def address_index(bucket: str) -> str:
    return blind_index(bucket, kind="address")


@dataclass(frozen=True)
class SendWait:
    """Why a code cannot be sent now, and for how long (seconds)."""

    reason: str  # interval | daily
    seconds: int


class SmsCodes:
    def __init__(self, session: Session, phone: str, address: str, now: datetime) -> None:
        self.session = session
        self.phone = phone
        self.phone_key = phone_index(phone)
        self.address_key = address_index(address)
        self.now = now

    # Sending ---------------------------------------------------------------------------------
    def _sent_at(self, *, this_address: bool) -> list[datetime]:
        """When codes were sent to this phone in the last 24 hours (newest first)."""
        query = select(SmsCode.created_at).where(
            SmsCode.phone_index == self.phone_key, SmsCode.created_at > self.now - DAY
        )
        if this_address:
            query = query.where(SmsCode.ip_index == self.address_key)
        return list(self.session.scalars(query.order_by(SmsCode.created_at.desc())))

    def wait(self) -> SendWait | None:
        """None when this address may have a code sent to this phone now."""
        mine = self._sent_at(this_address=True)
        if mine and self.now - mine[0] < INTERVAL:
            return SendWait("interval", _seconds(mine[0] + INTERVAL - self.now))
        if len(mine) >= PER_PHONE_ADDRESS_DAY:
            return SendWait("daily", _seconds(mine[PER_PHONE_ADDRESS_DAY - 1] + DAY - self.now))
        every = self._sent_at(this_address=False)
        if len(every) >= PER_PHONE_DAY:
            return SendWait("daily", _seconds(every[PER_PHONE_DAY - 1] + DAY - self.now))
        return None

    def needs_captcha(self) -> bool:
        return len(self._sent_at(this_address=False)) >= PER_PHONE_DAY_BEFORE_CAPTCHA

    def issue(self) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.session.add(
            SmsCode(
                phone_index=self.phone_key,
                code_hash=code_hash(self.phone, code),
                ip_index=self.address_key,
                created_at=self.now,
                expires_at=self.now + LIFETIME,
                attempts=0,
                foreign_attempts=0,
            )
        )
        return code

    # Using -------------------------------------------------------------------------------------
    def _usable(self) -> ColumnElement[bool]:
        """Live codes of this phone that still answer to this address."""
        return and_(
            SmsCode.phone_index == self.phone_key,
            SmsCode.used_at.is_(None),
            SmsCode.expires_at > self.now,
            or_(
                and_(SmsCode.ip_index == self.address_key, SmsCode.attempts < MAX_TRIES),
                and_(
                    or_(SmsCode.ip_index.is_(None), SmsCode.ip_index != self.address_key),
                    SmsCode.foreign_attempts < MAX_TRIES,
                ),
            ),
        )

    def match(self, code: str) -> SmsCode | None:
        """The usable code the citizen typed (any of the phone's live ones: the SMS they read last)."""
        query = select(SmsCode).where(self._usable(), SmsCode.code_hash == code_hash(self.phone, code))
        return self.session.scalars(query.order_by(SmsCode.created_at.desc()).limit(1)).first()

    def use(self, found: SmsCode) -> bool:
        """Spend the code: true for exactly one of several logins racing with it (a conditional UPDATE,
        not the copy each of them loaded)."""
        spent = self.session.execute(
            update(SmsCode)
            .where(SmsCode.id == found.id, SmsCode.used_at.is_(None))
            .values(used_at=self.now)
            .returning(SmsCode.id)
            .execution_options(synchronize_session=False)
        )
        return spent.first() is not None

    def count_wrong_code(self) -> None:
        """A wrong code was tried against every usable code of the phone: one try off each."""
        self._count(self._usable())

    def count_failure(self, row: SmsCode) -> None:
        """The right code with the wrong person: a try off that code."""
        self._count(SmsCode.id == row.id)

    def _count(self, which: ColumnElement[bool]) -> None:
        mine = func.coalesce(SmsCode.ip_index, "") == self.address_key
        self.session.execute(update(SmsCode).where(which, mine).values(attempts=SmsCode.attempts + 1))
        self.session.execute(
            update(SmsCode).where(which, ~mine).values(foreign_attempts=SmsCode.foreign_attempts + 1)
        )


def _seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
