"""The plaintext scan (issue 19, suite 4): where personal data could leak to, and the data to look for."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from shebao.models import Base
from shebao.runtime import Runtime
from tests.support.access import ZHAO_LIU
from tests.support.agreements import LI_CARD, ZHANG_CARD, ZHANG_OTHER_CARD
from tests.support.people import LI_SI, WANG_WU, ZHANG_SAN

# Everything personal the suites use: names, ID numbers, phone numbers, card numbers.
PERSONAL = [
    *(value for person in (ZHANG_SAN, LI_SI, WANG_WU, ZHAO_LIU) for value in person),
    "13812345678",
    "13900001111",
    "13700002222",
    "13600003333",
    ZHANG_CARD,
    ZHANG_OTHER_CARD,
    LI_CARD,
]


def database_text(runtime: Runtime) -> str:
    """Every value of every row of every table as stored (raw SQL: no column type decrypts it)."""
    parts = []
    with runtime.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(text(f'SELECT * FROM "{table.name}"')):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def files_bytes(folder: Path) -> dict[Path, bytes]:
    """Every file under the data dir: the SQLite database and its journal, the queue, keys, exports."""
    return {path: path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def leaks(runtime: Runtime, logs: str) -> list[str]:
    """Where a personal value was found in plain text."""
    found = []
    text = database_text(runtime)
    files = files_bytes(Path(runtime.settings.data_dir))
    for value in PERSONAL:
        forms = {value, json.dumps(value)[1:-1]}  # as typed, and as JSON escapes it (\\u5f20\\u4e09)
        if any(form in text for form in forms):
            found.append(f"database: {value}")
        if any(form in logs for form in forms):
            found.append(f"logs: {value}")
        encoded = {form.encode("utf-8") for form in forms}
        found.extend(
            f"{path.name}: {value}" for path, content in files.items() if any(e in content for e in encoded)
        )
    return found
