"""The generation task, and the periodic sweep that re-enqueues requests a dead worker left behind."""

from __future__ import annotations

import uuid

from huey import crontab

from shebao.jobs import huey, runtime
from shebao.logging import log


@huey.task(name="certificates.generate")  # type: ignore[untyped-decorator]
def generate_certificate_task(certificate_id: str) -> str:
    from shebao.certificates.generation import generate

    return generate(runtime(), uuid.UUID(certificate_id))


@huey.periodic_task(crontab(minute="*"), name="certificates.sweep")  # type: ignore[untyped-decorator]
def sweep_certificates_task() -> int:
    return resume_stale()


def resume_stale() -> int:
    """Enqueue every generating request whose worker died or whose task was lost; the claim makes
    sure each is made once however often it is enqueued."""
    from shebao.certificates.generation import sweep

    stale = sweep(runtime())
    for certificate_id in stale:
        generate_certificate_task(str(certificate_id))
    if stale:
        log.info("certificates_resumed", count=len(stale))
    return len(stale)
