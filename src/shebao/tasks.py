"""Every periodic and queued task, gathered so `shebao worker` registers them all."""

from __future__ import annotations

import shebao.agreements.tasks  # noqa: F401
import shebao.certificates.tasks  # noqa: F401
import shebao.deductions.tasks  # noqa: F401
import shebao.identity.tasks  # noqa: F401
import shebao.payables.tasks  # noqa: F401
import shebao.reconciliation.tasks  # noqa: F401
import shebao.refunds.tasks  # noqa: F401
import shebao.settlement.tasks  # noqa: F401
from shebao.config import get_settings

if get_settings().sandboxes_enabled:
    import shebao.sandbox.alipay.notifier  # noqa: F401 - the simulated provider's notification retries
    import shebao.sandbox.unionpay.notifier  # noqa: F401
    import shebao.sandbox.wechat.notifier  # noqa: F401
