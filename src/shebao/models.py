"""Every domain's models, imported once so that the metadata (Alembic, tests) is complete."""

from shebao.agreements.models import Agreement, AgreementDeduction
from shebao.audit.models import AuditEntry
from shebao.certificates.models import Captcha, Certificate, CertificateFile, RenderFault
from shebao.clockstore import ClockState
from shebao.console.models import Operator, OperatorSession
from shebao.db import Base
from shebao.declarations.models import Declaration, DeclarationItem
from shebao.deductions.models import (
    ContributionSetting,
    Deduction,
    DeductionBatch,
    DeductionResult,
    DeductionRun,
)
from shebao.enrolment.models import AgencyKey, Enrolment
from shebao.identity.models import (
    Consent,
    FamilyMember,
    LoginCaptcha,
    LoginSession,
    LoginVerification,
    Person,
    RateCounter,
    RateLock,
    SmsCode,
)
from shebao.imports.models import ImportRun
from shebao.payables.models import Payable
from shebao.payments.models import ChannelEvent, IdempotencyRecord, Payment
from shebao.payments.refunds import Refund
from shebao.reconciliation.models import ReconciliationIssue, StatementRun
from shebao.reference.models import Agency, Bank, BankBranch, Region, TaxOffice
from shebao.sandbox.alipay.models import SandboxAlipayRefund, SandboxAlipayTrade
from shebao.sandbox.bank.models import (
    SandboxBankAccount,
    SandboxBankAgreement,
    SandboxBankBatch,
    SandboxBankControl,
    SandboxBankEntry,
)
from shebao.sandbox.models import SandboxPhoneCode, SandboxSms
from shebao.sandbox.unionpay.models import SandboxUnionpayTrade
from shebao.sandbox.wechat.models import SandboxWechatTrade

__all__ = [
    "Captcha",
    "Certificate",
    "CertificateFile",
    "RenderFault",
    "ImportRun",
    "ReconciliationIssue",
    "Refund",
    "StatementRun",
    "Agreement",
    "AgreementDeduction",
    "SandboxBankAccount",
    "SandboxBankAgreement",
    "SandboxBankBatch",
    "SandboxBankControl",
    "SandboxBankEntry",
    "ChannelEvent",
    "IdempotencyRecord",
    "Payment",
    "Declaration",
    "ContributionSetting",
    "Deduction",
    "DeductionBatch",
    "DeductionResult",
    "DeductionRun",
    "DeclarationItem",
    "SandboxAlipayRefund",
    "SandboxAlipayTrade",
    "SandboxPhoneCode",
    "SandboxSms",
    "SandboxUnionpayTrade",
    "SandboxWechatTrade",
    "Consent",
    "FamilyMember",
    "LoginSession",
    "LoginVerification",
    "Person",
    "RateCounter",
    "RateLock",
    "LoginCaptcha",
    "SmsCode",
    "AuditEntry",
    "AgencyKey",
    "Enrolment",
    "Payable",
    "Agency",
    "Bank",
    "BankBranch",
    "Base",
    "ClockState",
    "Operator",
    "OperatorSession",
    "Region",
    "TaxOffice",
]
