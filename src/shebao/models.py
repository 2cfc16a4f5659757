"""Every domain's models, imported once so that the metadata (Alembic, tests) is complete."""

from shebao.audit.models import AuditEntry
from shebao.db import Base
from shebao.identity.models import (
    Consent,
    FamilyMember,
    LoginSession,
    LoginVerification,
    Person,
    RateCounter,
    SmsCode,
)
from shebao.kit.clock import ClockState
from shebao.reference.models import Agency, Bank, BankBranch, Region, TaxOffice
from shebao.sandbox.models import SandboxPhoneCode, SandboxSms

__all__ = [
    "SandboxPhoneCode",
    "SandboxSms",
    "Consent",
    "FamilyMember",
    "LoginSession",
    "LoginVerification",
    "Person",
    "RateCounter",
    "SmsCode",
    "AuditEntry",
    "Agency",
    "Bank",
    "BankBranch",
    "Base",
    "ClockState",
    "Region",
    "TaxOffice",
]
