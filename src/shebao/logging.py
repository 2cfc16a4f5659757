"""structlog set-up. A last processor masks anything that looks like a document, phone or card number.

uvicorn's access log is not structlog's: `uvicorn_log_config` gives it a filter that drops the query
string (phone numbers, result tokens, codes travel there) and masks the path.
"""

from __future__ import annotations

import copy
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_ID_NUMBER = re.compile(r"\b(\d{6})\d{8}(\d{3}[\dXx])\b")
_PHONE = re.compile(r"\b(1[3-9]\d)\d{4}(\d{4})\b")
_ACCOUNT = re.compile(r"\b(\d{6})\d{3,9}(\d{4})\b")


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(r"\1********\2", text)
    text = _PHONE.sub(r"\1****\2", text)
    return _ACCOUNT.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 10) + m.group(2), text)


def _mask_personal_data(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> dict[str, Any]:
    return {key: mask_text(value) if isinstance(value, str) else value for key, value in event.items()}


def configure_logging(*, json: bool = False, level: int = logging.INFO) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _mask_personal_data,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # stderr: a command's own output (reports, summaries) stays alone on stdout.
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


log = structlog.get_logger("shebao")


class AccessLogFilter(logging.Filter):
    """Rewrites uvicorn's access record `(client, method, path?query, version, status)`: path only, masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            path = args[2].split("?", 1)[0]
            record.args = (args[0], args[1], mask_text(path), args[3], args[4])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging set-up with the access log filtered (`shebao serve`, `shebao demo`)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["personal_data"] = {"()": "shebao.logging.AccessLogFilter"}
    config["handlers"]["access"]["filters"] = ["personal_data"]
    return config
