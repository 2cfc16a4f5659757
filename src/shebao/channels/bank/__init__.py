"""The bank channel (协议支付): a TIPS-style front end for agreement verification and real-time deduction."""

from shebao.channels.bank.adapter import AgreementCheck, BankAdapter, BankAnswer, bank_adapter

__all__ = ["AgreementCheck", "BankAdapter", "BankAnswer", "bank_adapter"]
