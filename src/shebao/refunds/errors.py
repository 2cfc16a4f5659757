"""The refund domain's refusals: each a clear Chinese message, nothing changed."""

from __future__ import annotations

from shebao.errors import Conflict, NotFound, ValidationFailed


class RefundNotFound(NotFound):
    code = "refund_not_found"

    def __init__(self) -> None:
        super().__init__("退费记录不存在")


class RefundConflict(Conflict):
    code = "refund_conflict"


class ProposerCannotApprove(Conflict):
    code = "refund_proposer_cannot_approve"

    def __init__(self) -> None:
        super().__init__("退费须由提出人以外的审核人审核：您提出的退费不能由您本人审核")


class RefundInvalid(ValidationFailed):
    code = "refund_invalid"


class NoRefundProtocol(Conflict):
    code = "refund_no_protocol"
