"""What a process imports before it builds its runtime: the parts that register with a layer below them.

A lower layer never imports an upper one; it keeps a registry instead, and the part above registers when
it is imported: production key checks with `config` (each channel's keys, the certificate signer), the
dev login providers with `identity.providers` (the sandbox's). `app`, `worker` and `cli` import this
module, so every process has them all.
"""

from __future__ import annotations

# The production checks run in the order they are registered: the channels, then the signer.
# isort: off
import shebao.channels.alipay.keys  # noqa: F401
import shebao.channels.wechat.keys  # noqa: F401
import shebao.channels.unionpay.keys  # noqa: F401
import shebao.channels.bank.keys  # noqa: F401
import shebao.certificates  # noqa: F401

# isort: on
import shebao.sandbox.face  # noqa: F401 - the dev login providers (refused in production)
import shebao.sandbox.platform_phone  # noqa: F401
import shebao.sandbox.sms  # noqa: F401
