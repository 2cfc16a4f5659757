"""Sign (the bank verifies first), revoke, take effect. The bank is asked outside any transaction."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shebao.agreements import errors
from shebao.agreements.form import AgreementForm, CheckedForm, check_form
from shebao.agreements.models import ACTIVE, PENDING, REJECTED, REVOKED, Agreement
from shebao.agreements.repository import AgreementRepository, live_key
from shebao.agreements.rules import effective_from, status_on
from shebao.audit.service import Actor, record
from shebao.channels.bank import AgreementCheck, BankAdapter, BankAnswer, codes
from shebao.channels.base import ChannelError, ChannelTimeout
from shebao.db import UnitOfWork
from shebao.errors import MisconfiguredChannel, RateLimited
from shebao.identity.models import Person
from shebao.identity.ratelimit import Limit, RateLimiter
from shebao.kit.clock import to_shanghai
from shebao.kit.ids import random_code
from shebao.logging import log
from shebao.payments.registry import adapter_for
from shebao.runtime import Runtime

AGREEMENT_NO_LENGTH = 32  # like the guide's kGvWHQD70tx1Zz7imlHRLPoPUqH47J9a: about 186 random bits
# Each verification asks the bank whether an account is someone's: a payer may not probe accounts at will.
VERIFICATIONS_PER_PAYER_DAY = Limit("agreement-verify-day", 10, timedelta(days=1))


def bank_of(runtime: Runtime) -> BankAdapter:
    if not runtime.settings.bank_enabled:
        raise errors.AgreementsDisabled()
    adapter = adapter_for("agreement", runtime)
    if not isinstance(adapter, BankAdapter):
        raise MisconfiguredChannel("协议支付渠道未接入银行")
    return adapter


def _audit_view(agreement: Agreement) -> dict[str, object]:
    return {
        "status": agreement.status,
        "agreement_no": agreement.agreement_no,
        "tax_office_code": agreement.tax_office_code,
        "bank_code": agreement.bank_code,
        "account_no": agreement.masked_account,
        "effective_from": agreement.effective_from.isoformat() if agreement.effective_from else None,
        "reason": agreement.failure_reason,
    }


class AgreementService:
    def __init__(
        self, runtime: Runtime, payer: Person, *, channel: str, work: UnitOfWork | None = None
    ) -> None:
        self.runtime = runtime
        self.work = work or runtime.work()
        self.payer = payer
        self.actor = Actor("payer", str(payer.id), channel)

    # read --------------------------------------------------------------------------------------
    def own(self, session: Session, agreement_id: uuid.UUID, *, for_update: bool = False) -> Agreement:
        found = AgreementRepository(session).get(agreement_id, for_update=for_update)
        if found is None or found.payer_id != self.payer.id:
            raise errors.AgreementNotFound()
        return found

    # sign --------------------------------------------------------------------------------------
    def sign(self, form: AgreementForm) -> Agreement:
        """新增协议: checked, no live twin, the bank's verification, then stored (pending or rejected)."""
        checked = check_form(form, self.payer)
        bank = bank_of(self.runtime)
        with self.work.read() as session:
            if AgreementRepository(session).live(checked.account_index, checked.tax_office_code):
                raise errors.AgreementExists()
        self._count_verification()
        agreement_no = random_code(AGREEMENT_NO_LENGTH)
        answer = self._verify(bank, checked, agreement_no)
        try:
            return self._store(checked, agreement_no, answer)
        except IntegrityError:
            # A parallel request signed the same account and tax office first.
            if answer.ok:
                self._tell_bank_revoked(bank, agreement_no, checked.bank_code)
            raise errors.AgreementExists() from None

    def _count_verification(self) -> None:
        key = str(self.payer.id)
        with self.work.step() as step:
            limiter, now = RateLimiter(step.session), step.now
            if limiter.exceeded(VERIFICATIONS_PER_PAYER_DAY, key, now):
                raise RateLimited("今日签约次数过多，请明天再试")
            limiter.hit(VERIFICATIONS_PER_PAYER_DAY, key, now)

    def _verify(self, bank: BankAdapter, checked: CheckedForm, agreement_no: str) -> BankAnswer:
        check = AgreementCheck(
            agreement_no=agreement_no,
            bank_code=checked.bank_code,
            branch_code=checked.branch_code,
            account_no=checked.account_no,
            holder_name=checked.holder_name,
            tax_office_code=checked.tax_office_code,
        )
        try:
            with self.work.between():
                answer = bank.verify_agreement(check)
        except (ChannelTimeout, ChannelError) as exc:
            log.warning("agreement_verify_unanswered", error=str(exc))
            raise errors.BankUnavailable() from exc
        if answer.code == codes.CLOSED:
            raise errors.BankUnavailable(answer.message)  # try later: nothing was decided
        return answer

    def _store(self, checked: CheckedForm, agreement_no: str, answer: BankAnswer) -> Agreement:
        with self.work.step() as step:
            session, now = step.session, step.now
            agreement = Agreement(
                agreement_no=agreement_no,
                payer_id=self.payer.id,
                tax_office_code=checked.tax_office_code,
                agency_code=checked.agency_code,
                bank_code=checked.bank_code,
                bank_region_code=checked.bank_region_code,
                branch_code=checked.branch_code,
                holder_name=checked.holder_name,
                account_no=checked.account_no,
                account_index=checked.account_index,
                withhold=checked.withhold,
                withhold_schemes=checked.withhold_schemes,
                status=PENDING if answer.ok else REJECTED,
                live_key=live_key(checked.account_index, checked.tax_office_code) if answer.ok else None,
                effective_from=effective_from(now) if answer.ok else None,
                failure_reason=None if answer.ok else answer.message,
                bank_msg_id=answer.msg_id,
                signed_at=now,
                updated_at=now,
            )
            session.add(agreement)
            session.flush()
            record(
                session,
                actor=self.actor,
                action="agreement.sign",
                object_type="agreement",
                object_id=agreement.id,
                at=now,
                after=_audit_view(agreement),
            )
            return agreement

    # revoke ------------------------------------------------------------------------------------
    def revoke(self, agreement_id: uuid.UUID) -> Agreement:
        """撤销: stops the agreement's use at once; deductions already sent settle as they come."""
        with self.work.step() as step:
            session, now = step.session, step.now
            today = to_shanghai(now).date()
            agreement = self.own(session, agreement_id, for_update=True)
            if agreement.status == REVOKED:
                raise errors.AlreadyRevoked()
            if agreement.status == REJECTED:
                raise errors.NotRevocable()
            before = status_on(agreement, today)
            agreement.status, agreement.live_key = REVOKED, None
            agreement.revoked_at = agreement.updated_at = now
            record(
                session,
                actor=self.actor,
                action="agreement.revoke",
                object_type="agreement",
                object_id=agreement.id,
                at=now,
                before={"status": before},
                after={"status": REVOKED},
            )
        confirm_revocation(self.runtime, agreement, self.work)
        return agreement

    def _tell_bank_revoked(self, bank: BankAdapter, agreement_no: str, bank_code: str) -> None:
        try:
            with self.work.between():
                bank.revoke_agreement(agreement_no, bank_code)
        except (ChannelTimeout, ChannelError) as exc:
            log.warning("agreement_orphan_at_bank", agreement_no=agreement_no, error=str(exc))


def confirm_revocation(runtime: Runtime, agreement: Agreement, work: UnitOfWork | None = None) -> bool:
    """Tell the bank (best effort: the sweep retries until it confirms)."""
    work = work or runtime.work()
    try:
        with work.between():
            answer = bank_of(runtime).revoke_agreement(agreement.agreement_no, agreement.bank_code)
    except (ChannelTimeout, ChannelError, errors.AgreementsDisabled) as exc:
        log.warning("agreement_revoke_unconfirmed", agreement=str(agreement.id), error=str(exc))
        return False
    if answer.code not in (codes.SUCCESS, codes.NO_AGREEMENT):
        return False
    with work.step() as step:
        current = AgreementRepository(step.session).get(agreement.id, for_update=True)
        if current is not None and current.bank_revoked_at is None:
            current.bank_revoked_at = step.now
    return True


def confirm_revocations(runtime: Runtime) -> int:
    """The sweep: revocations the bank has not confirmed yet. Answers how many it confirmed."""
    work = runtime.work()
    with work.read() as session:
        pending = AgreementRepository(session).revoked_unconfirmed()
    return sum(confirm_revocation(runtime, agreement, work) for agreement in pending)


def take_effect(runtime: Runtime) -> int:
    """The sweep: persist 已生效 for pending agreements whose day has come (status_on already reads so)."""
    with runtime.work().step() as step:
        session, now = step.session, step.now
        due = AgreementRepository(session).due_to_take_effect(to_shanghai(now).date())
        for agreement in due:
            agreement.status, agreement.updated_at = ACTIVE, now
            record(
                session,
                actor=Actor.system(),
                action="agreement.effective",
                object_type="agreement",
                object_id=agreement.id,
                at=now,
                before={"status": PENDING},
                after={"status": ACTIVE},
            )
        return len(due)
