"""Who sees a declaration: one read through the access rule (identity/access.py).

Declaring is the settlement core's (shebao.settlement.declare), as are voiding and paying: it owns the
pair declaration–payment. This package keeps the models, the queries and how declarations are shown.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shebao.audit.service import Actor
from shebao.declarations import errors
from shebao.declarations.models import Declaration
from shebao.declarations.repository import DeclarationRepository
from shebao.identity.access import Viewer
from shebao.identity.models import Person
from shebao.runtime import Runtime


class DeclarationService:
    def __init__(self, runtime: Runtime, session: Session, payer: Person, *, channel: str) -> None:
        self.session = session
        self.payer = payer
        self.channel = channel
        self.actor = Actor("payer", str(payer.id), channel)
        self.repository = DeclarationRepository(session)

    def get(self, declaration_id: uuid.UUID, *, for_update: bool = False) -> Declaration:
        found = (self.repository.for_update if for_update else self.repository.get)(declaration_id)
        if found is None or not Viewer.of(self.session, self.payer).may_see(found):
            raise errors.DeclarationNotFound()
        return found
