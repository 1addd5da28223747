"""Structured logs: one JSON line per event, carrying the correlation id of the request."""

from __future__ import annotations

import json
import logging
import re
import secrets
import traceback
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


# Longest value kept whole, and longest line: a log line is read by people and by tools
# that cut or drop long lines; what is cut says how much was.
MAX_VALUE = 500
MAX_LINE = 4000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# uvicorn's colored twin of the message, for terminals; JSON has no use for it.
# A record's attributes that are not the event's own fields (uvicorn adds color_message).
_NOT_FIELDS = frozenset(_STANDARD | {"color_message"})
_NO_REF = ("ref", "-")  # logged outside any request


class JsonFormatter(logging.Formatter):
    """One JSON line per record: no ANSI escapes, no empty fields, values and line bounded."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        event.update((k, v) for k, v in record.__dict__.items() if k not in _NOT_FIELDS)
        if record.exc_info and record.exc_info[1] is not None:
            event.update(describe_exception(record.exc_info[1]))
        present = {k: v for k, v in event.items() if v not in (None, "") and (k, v) != _NO_REF}
        for limit in (MAX_VALUE, MAX_VALUE // 10):
            line = json.dumps(
                {k: _bounded(v, limit) for k, v in present.items()},
                default=str,
                ensure_ascii=False,
            )
            if len(line) <= MAX_LINE:
                break
        return line


def describe_exception(error: BaseException) -> dict[str, str]:
    """The error in one line and where it was raised; no traceback in an operator's terminal."""
    described = {"error": f"{type(error).__name__}: {error}".removesuffix(": ")}
    frames = traceback.extract_tb(error.__traceback__)
    if frames:
        last = frames[-1]
        described["where"] = f"{last.filename}:{last.lineno} in {last.name}"
    return described


def one_line_cause(error: BaseException) -> str:
    """Why something failed, in one line an operator can read: a database error without
    SQLAlchemy's statement and background link, a timeout as such."""
    if isinstance(error, TimeoutError):
        return "no answer in time"
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()
    return text[0] if text else type(cause).__name__


def _bounded(value: Any, limit: int) -> Any:
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str, ensure_ascii=False)
        return value if len(text) <= limit and not _ANSI.search(text) else _cut(text, limit)
    return _cut(_ANSI.sub("", str(value)), limit)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[: max(limit - 25, 10)]}… ({len(text) - limit + 25} more chars)"


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO; our backend log line says the same with context.
    logging.getLogger("httpx").setLevel(logging.WARNING)
