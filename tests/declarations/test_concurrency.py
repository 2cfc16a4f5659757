from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from shebao.declarations.errors import AlreadyDeclared
from shebao.declarations.models import Declaration
from shebao.identity.models import Person
from shebao.settlement.declare import Declarer
from tests.support.world import payable_ids


@pytest.mark.postgres_only
def test_parallel_declarations_of_one_payable_give_exactly_one(client, world, runtime) -> None:  # type: ignore[no-untyped-def]
    ids = [uuid.UUID(i) for i in payable_ids(client, world.zhang_headers, "resident_medical")]
    parallel = 8
    barrier = threading.Barrier(parallel)
    outcomes: list[str] = []
    lock = threading.Lock()

    def declare() -> None:
        session = runtime.db.session(write=True)
        try:
            payer = session.get(Person, world.zhang.id)
            declarer = Declarer(session, payer, channel="h5", now=runtime.clock.now())
            barrier.wait(timeout=10)
            declarer.declare(ids, payer)
            session.commit()
            result = "declared"
        except AlreadyDeclared:
            session.rollback()
            result = "conflict"
        finally:
            session.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=declare) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict"] * (parallel - 1) + ["declared"]
    with runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(Declaration)) == 1
