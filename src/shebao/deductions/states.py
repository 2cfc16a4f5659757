"""The contribution-setting state machine (DESIGN.md): active → voided. One table of allowed source
states drives every transition, and every change writes its audit row."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final

from sqlalchemy.orm import Session

from shebao.audit.service import Actor, record
from shebao.deductions.models import ACTIVE, VOIDED, ContributionSetting

ALLOWED_FROM: Final[dict[str, frozenset[str]]] = {
    VOIDED: frozenset({ACTIVE}),
}


class IllegalTransition(Exception):
    def __init__(self, setting: ContributionSetting, target: str) -> None:
        super().__init__(f"contribution setting {setting.id}: {setting.status} → {target} is not allowed")


def can_move(setting: ContributionSetting, target: str) -> bool:
    return setting.status in ALLOWED_FROM[target]


def move(session: Session, setting: ContributionSetting, target: str, *, actor: Actor, at: datetime) -> None:
    """Apply a transition with its audit row; a forbidden one raises (the service checks first)."""
    if not can_move(setting, target):
        raise IllegalTransition(setting, target)
    before = setting.status
    setting.status, setting.updated_at = target, at
    if target == VOIDED:
        setting.voided_at = at
        setting.voided_by_id = _actor_id(actor)
    record(
        session,
        actor=actor,
        action=f"contribution_setting.{target}",
        object_type="contribution_setting",
        object_id=setting.id,
        at=at,
        before={"status": before},
        after={"status": target},
    )


def _actor_id(actor: Actor) -> uuid.UUID | None:
    return uuid.UUID(actor.id) if actor.type == "payer" and actor.id else None
