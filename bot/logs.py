"""Structured logs: one JSON line per event, carrying the correlation id of the request."""

from __future__ import annotations

import json
import logging
import secrets
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def new_correlation_id() -> str:
    """Short enough to read out loud to on-call, long enough not to collide in a day's logs."""
    ref = secrets.token_hex(4)
    correlation_id.set(ref)
    return ref


def stamp_correlation_ids() -> None:
    """Give every log record the correlation id of the request it was logged for (`ref`).

    Stamped when the record is made, in the task that logs it, so any handler sees it.
    """
    make_record = logging.getLogRecordFactory()
    if getattr(make_record, "stamps_ref", False):
        return

    def with_ref(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.ref = correlation_id.get()
        return record

    with_ref.stamps_ref = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(with_ref)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        event.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            event["error"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; our backend log line says the same with context.
    logging.getLogger("httpx").setLevel(logging.WARNING)
