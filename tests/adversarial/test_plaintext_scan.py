"""The scan itself finds plain text where it is (else a clean scan would prove nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from shebao.audit.service import Actor, record
from shebao.kit.ids import new_id
from tests.support import plaintext
from tests.support.people import ZHANG_SAN, make_person, transaction

pytestmark = pytest.mark.adversarial


@pytest.fixture
def no_plaintext_left() -> None:
    """Here plain text is left behind on purpose: the suites' scan after the test does not apply."""


def test_the_scan_finds_a_name_in_a_row_a_file_and_the_logs(runtime) -> None:  # type: ignore[no-untyped-def]
    make_person(runtime, *ZHANG_SAN)  # stored encrypted: not found
    assert plaintext.leaks(runtime, logs="") == []
    with transaction(runtime) as s:
        record(
            s,
            actor=Actor.system(),
            action="test.leak",
            object_type="person",
            object_id=new_id(),
            at=runtime.clock.now(),
            after={"name": ZHANG_SAN[0]},
        )
    (Path(runtime.settings.data_dir) / "export.csv").write_text(f"x,{ZHANG_SAN[1]}\n", encoding="utf-8")
    found = plaintext.leaks(runtime, logs=f"event phone=13812345678 name={ZHANG_SAN[0]}")
    # (the SQLite journal may hold the row too, until it is checkpointed)
    assert {f for f in found if not f.startswith("shebao.db")} == {
        f"database: {ZHANG_SAN[0]}",
        f"logs: {ZHANG_SAN[0]}",
        "logs: 13812345678",
        f"export.csv: {ZHANG_SAN[1]}",
    }
