from __future__ import annotations

from shebao.errors import Conflict, NotFound, ValidationFailed


class DeclarationNotFound(NotFound):
    code = "declaration_not_found"
    message = "未找到该申报记录"


class PayableNotFound(NotFound):
    code = "payable_not_found"
    message = "未找到所选的应缴费信息"


class NothingSelected(ValidationFailed):
    code = "nothing_selected"
    message = "请选择需要申报的缴费数据"


class MixedSelection(ValidationFailed):
    code = "mixed_selection"
    message = "一次申报只能选择同一缴费人、同一险种、同一主管税务机关的缴费数据"


class AlreadyDeclared(Conflict):
    code = "payable_already_declared"
    message = "所选缴费数据已申报，请勿重复申报"


class AlreadyPaid(Conflict):
    code = "payable_already_paid"
    message = "所选缴费数据已缴款，无需再次申报"


class OutsideWindow(Conflict):
    code = "outside_collection_window"
    message = "当前不在缴费期内"


class DeclarationAlreadyPaid(Conflict):
    code = "declaration_already_paid"
    message = "该申报已缴款，不能作废"


class DeclarationVoided(Conflict):
    code = "declaration_voided"
    message = "该申报已作废"


class DeclarationProcessing(Conflict):
    code = "declaration_processing"
    message = "申报处理中，请稍后再试"


class DeclarationFailed(Conflict):
    code = "declaration_failed"
    message = "该申报未成功，请重新申报"


class AmountNotAllowed(ValidationFailed):
    code = "amount_not_allowed"
    message = "只有城乡居民养老保险可以选择缴费金额"


class NotDeclarer(Conflict):
    """A family member's payer may pay a declaration, but only its declarer or the insured person voids it."""

    code = "not_declarer"
    message = "只有申报人或参保人本人可以作废该申报"
