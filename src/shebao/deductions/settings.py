"""缴费金额设置 (1.7) and 缴费金额作废 (1.8): the rules, then the change (validate `check_*`, mutate `do_*`).

Urban-rural residents only. A pension setting's amount must lie within the range of every fee year it
covers; resident medical is deducted at the policy amount (an amount sent is refused). The agreement
is the payer's own, not revoked, at the insured person's tax office; a payer may set one for a family
member on the payer's own agreement. One active setting per insured person, scheme and overlapping
years: the insured person's row is locked while that is checked (SQLite: the write lock).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.agreements.errors import AgreementNotFound
from shebao.agreements.models import REJECTED, REVOKED, Agreement
from shebao.agreements.repository import AgreementRepository
from shebao.agreements.rules import status_on
from shebao.audit.service import Actor, record
from shebao.deductions import errors, states
from shebao.deductions.models import ACTIVE, VOIDED, ContributionSetting
from shebao.deductions.repository import SettingRepository
from shebao.enrolment.models import Enrolment
from shebao.enrolment.terms import FLEXIBLE_EMPLOYMENT, RESIDENT_MEDICAL, RESIDENT_PENSION, scheme_label
from shebao.identity.access import insured_for
from shebao.identity.models import Person
from shebao.kit.clock import to_shanghai
from shebao.policy import calc
from shebao.policy.tables import PolicyMissing, PolicyTables, default_policy

SETTABLE = (RESIDENT_PENSION, RESIDENT_MEDICAL)
MAX_YEARS = 10  # one setting covers at most this many fee years


@dataclass(frozen=True)
class SettingRequest:
    scheme: str
    agreement_id: uuid.UUID | None
    valid_from: int | None
    valid_to: int | None
    annual_amount_fen: int | None = None
    family_id: uuid.UUID | str | None = None  # the API's payer_id: a family member's row id


def check_scheme(scheme: str) -> None:
    if scheme == FLEXIBLE_EMPLOYMENT:
        raise errors.SchemeNotSettable(
            "灵活就业人员社保费不能设置缴费金额，缴费金额设置只支持城乡居民（养老保险、基本医疗保险）"
        )
    if scheme not in SETTABLE:
        raise errors.SchemeNotSettable("请选择险种：城乡居民养老保险或城乡居民基本医疗保险")


def check_years(valid_from: int | None, valid_to: int | None, today: date) -> tuple[int, int]:
    if valid_from is None:
        raise errors.YearsInvalid("请选择有效期起（年度）", field="valid_from")
    if valid_to is None:
        raise errors.YearsInvalid("请选择有效期止（年度）", field="valid_to")
    if valid_from > valid_to:
        raise errors.YearsInvalid(f"有效期起（{valid_from}年）不能晚于有效期止（{valid_to}年）")
    if valid_from < today.year:
        raise errors.YearsInvalid(f"有效期起不能早于{today.year}年", field="valid_from")
    if valid_to - valid_from + 1 > MAX_YEARS:
        raise errors.YearsInvalid(f"有效期最长{MAX_YEARS}年，请缩短有效期")
    return valid_from, valid_to


def check_amount(
    policy: PolicyTables, scheme: str, years: tuple[int, int], amount_fen: int | None
) -> int | None:
    """The pension amount, checked against the range of every covered year; None for medical."""
    first, last = years
    if scheme == RESIDENT_MEDICAL:
        if amount_fen is not None:
            raise errors.AmountInvalid("城乡居民基本医疗保险按政策标准缴费，不能设置缴费金额")
        for year in range(first, last + 1):
            try:
                policy.medical_contribution(year)
            except PolicyMissing as exc:
                raise errors.YearsInvalid(
                    f"{year}年度的缴费标准尚未公布，有效期止请选择{year - 1}年或以前"
                ) from exc
        return None
    if amount_fen is None:
        raise errors.AmountInvalid("请选择或填写缴费金额")
    for year in range(first, last + 1):
        try:
            calc.check_pension_amount(policy, year, amount_fen)
        except PolicyMissing as exc:
            raise errors.YearsInvalid(
                f"{year}年度的缴费标准尚未公布，有效期止请选择{year - 1}年或以前"
            ) from exc
        except calc.PolicyError as exc:
            raise errors.AmountInvalid(f"{year}年度{exc.message}") from exc
    return amount_fen


def check_own_agreement(agreement: Agreement | None, payer: Person) -> Agreement:
    """The payer's own agreement; another payer's is not found (ids reveal nothing)."""
    if agreement is None or agreement.payer_id != payer.id:
        raise AgreementNotFound("未找到该缴费协议：只能使用缴费人本人签订的缴费协议")
    return agreement


def check_agreement(agreement: Agreement, tax_office_code: str, today: date) -> Agreement:
    """Not revoked nor refused, at the insured person's tax office."""
    status = status_on(agreement, today)
    if status == REVOKED:
        raise errors.AgreementUnusable("该缴费协议已撤销，请选择其他协议或重新签订")
    if status == REJECTED:
        raise errors.AgreementUnusable("该缴费协议签约失败，不能使用")
    if agreement.tax_office_code != tax_office_code:
        raise errors.AgreementUnusable(
            "缴费协议的税务机关与缴费对象的主管税务机关不一致，请选择该税务机关的协议"
        )
    return agreement


def check_no_overlap(session: Session, person_id: uuid.UUID, scheme: str, years: tuple[int, int]) -> None:
    found = SettingRepository(session).overlapping(person_id, scheme, *years)
    if found is not None:
        raise errors.SettingOverlaps(
            f"该缴费对象{scheme_label(scheme)}{found.valid_from}至{found.valid_to}年度已有有效的缴费金额设置，"
            "请先作废后再设置"
        )


def check_may_void(payer: Person, setting: ContributionSetting) -> None:
    if setting.status == VOIDED:
        raise errors.SettingVoided()


class SettingService:
    def __init__(self, session: Session, payer: Person, *, channel: str, now: datetime) -> None:
        self.session = session
        self.payer = payer
        self.channel = channel
        self.now = now
        self.today = to_shanghai(now).date()
        self.actor = Actor("payer", str(payer.id), channel)
        self.repository = SettingRepository(session)

    def enrolment(self, insured: Person, scheme: str) -> Enrolment:
        found = self.session.scalars(
            select(Enrolment).where(Enrolment.person_id == insured.id, Enrolment.scheme == scheme)
        ).first()
        if found is None:
            raise errors.NotEnrolled(f"未查询到缴费对象的{scheme_label(scheme)}参保信息，不能设置缴费金额")
        return found

    def create(self, request: SettingRequest) -> ContributionSetting:
        check_scheme(request.scheme)
        insured = insured_for(self.session, self.payer, request.family_id)  # a stranger's member: 404
        if request.agreement_id is None:
            # The pages' form (the API requires one): said beside the question of 缴费协议.
            raise errors.AgreementUnusable("请选择缴费协议", fields={"agreement_id": "请选择缴费协议"})
        agreement = check_own_agreement(
            AgreementRepository(self.session).get(request.agreement_id, for_update=True), self.payer
        )
        years = check_years(request.valid_from, request.valid_to, self.today)
        amount = check_amount(default_policy(), request.scheme, years, request.annual_amount_fen)
        enrolment = self.enrolment(insured, request.scheme)
        check_agreement(agreement, enrolment.tax_office_code, self.today)
        self.repository.lock_person(insured.id)
        check_no_overlap(self.session, insured.id, request.scheme, years)
        return self.do_create(insured, request.scheme, amount, agreement.id, enrolment, years)

    def do_create(
        self,
        insured: Person,
        scheme: str,
        amount_fen: int | None,
        agreement_id: uuid.UUID,
        enrolment: Enrolment,
        years: tuple[int, int],
    ) -> ContributionSetting:
        setting = ContributionSetting(
            person_id=insured.id,
            payer_id=self.payer.id,
            scheme=scheme,
            annual_amount_fen=amount_fen,
            agreement_id=agreement_id,
            tax_office_code=enrolment.tax_office_code,
            valid_from=years[0],
            valid_to=years[1],
            status=ACTIVE,
            channel=self.channel,
            created_at=self.now,
            updated_at=self.now,
        )
        self.session.add(setting)
        self.session.flush()
        record(
            self.session,
            actor=self.actor,
            action="contribution_setting.create",
            object_type="contribution_setting",
            object_id=setting.id,
            at=self.now,
            after={
                "status": ACTIVE,
                "scheme": scheme,
                "person_id": str(insured.id),
                "annual_amount_fen": amount_fen,
                "agreement_id": str(agreement_id),
                "valid_from": years[0],
                "valid_to": years[1],
            },
        )
        return setting

    # read and void --------------------------------------------------------------------------------
    def get(self, setting_id: uuid.UUID, *, for_update: bool = False) -> ContributionSetting:
        """A setting the payer made or that is for the payer; anyone else's is 404."""
        found = self.repository.get(setting_id, for_update=for_update)
        if found is None or self.payer.id not in (found.payer_id, found.person_id):
            raise errors.SettingNotFound()
        return found

    def void(self, setting_id: uuid.UUID) -> ContributionSetting:
        setting = self.get(setting_id, for_update=True)
        check_may_void(self.payer, setting)
        states.move(self.session, setting, VOIDED, actor=self.actor, at=self.now)
        return setting
