"""What the emulated UserCustomer API reads from a request and how `get_list` filters and
pages: parameters (ids, paging, JSON-in-form lists), `condition` triples with SQL's comparisons
and LIKE, the `created` time range, and the failures each says as the API does (`msg`).
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.sandbox.faults import parse_int, stringify

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_PAGE_SIZE = 20

INT_FIELDS = frozenset({"user_id", "customer_id", "is_available", "boss_sync"})
TEXT_FIELDS = frozenset({"template", "script", "reference", "created"})
COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}

Row = dict[str, Any]
Params = dict[str, Any]
Predicate = Callable[[Row], bool]


class Failure(Exception):
    """A failure the API reports as `code: 500` with `msg`."""

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


def page(rows: list[Row], page_index: int, page_size: int) -> dict[str, Any]:
    start = (page_index - 1) * page_size
    return {
        "page_index": page_index,
        "page_size": page_size,
        "total_pages": math.ceil(len(rows) / page_size),
        "total_records": len(rows),
        "data": [dict(row) for row in rows[start : start + page_size]],
    }


def paging(params: Params) -> tuple[int, int]:
    return _positive(params, "page_index", 1), _positive(params, "page_size", DEFAULT_PAGE_SIZE)


def _positive(params: Params, name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_int(raw)
    if value is None or value <= 0:
        raise Failure(f"{name}必须大于0")
    return value


def relation_key(params: Params) -> tuple[int, int]:
    return required_id(params, "user_id"), required_id(params, "customer_id")


def required_id(params: Params, name: str) -> int:
    value = parse_int(params.get(name))
    if value is None:
        raise Failure(f"{name}参数错误")
    return value


def id_list(raw: Any) -> list[int]:
    listed = _json_value(raw, "customer_id格式错误")
    ids = [parse_int(item) for item in listed] if isinstance(listed, list) else []
    if not ids or None in ids:
        raise Failure("customer_id格式错误")
    return [customer_id for customer_id in ids if customer_id is not None]


def _json_value(raw: Any, error: str) -> Any:
    """Form bodies carry lists as JSON text; JSON bodies may carry them as real lists."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise Failure(error) from exc


def conditions(raw: Any) -> list[Predicate]:
    if raw is None or raw == "":
        return []
    triples = _json_value(raw, "condition格式错误")
    if not isinstance(triples, list):
        raise Failure("condition格式错误")
    return [_condition(triple) for triple in triples]


def _condition(triple: Any) -> Predicate:
    if not isinstance(triple, list) or len(triple) != 3:
        raise Failure("condition格式错误")
    field, op, value = triple
    if not isinstance(field, str) or field not in INT_FIELDS | TEXT_FIELDS:
        raise Failure(f"condition字段不存在: {field}")
    if not isinstance(op, str) or (op.lower() != "like" and op not in COMPARISONS):
        raise Failure(f"condition运算符不支持: {op}")
    if op.lower() == "like":
        return _like(field, _like_pattern(value))
    return _compare(field, COMPARISONS[op], _typed_value(field, value))


def _like(field: str, pattern: re.Pattern[str]) -> Predicate:
    # SQL semantics: NULL matches nothing.
    return lambda row: row[field] is not None and pattern.search(stringify(row[field])) is not None


def _compare(field: str, compare: Callable[[Any, Any], bool], target: Any) -> Predicate:
    return lambda row: row[field] is not None and compare(row[field], target)


def _like_pattern(value: Any) -> re.Pattern[str]:
    # LIKE '%value%' under a case-insensitive collation; `%` inside the value is a wildcard.
    parts = stringify(value).split("%")
    return re.compile(".*".join(re.escape(part) for part in parts), re.IGNORECASE | re.DOTALL)


def _typed_value(field: str, value: Any) -> Any:
    if field not in INT_FIELDS:
        return stringify(value)
    number = parse_int(value)
    if number is None:
        raise Failure(f"condition值错误: {field}")
    return number


def time_range(params: Params) -> list[Predicate]:
    start = _moment(params.get("start_time"), "00:00:00")
    end = _moment(params.get("end_time"), "23:59:59")
    predicates: list[Predicate] = []
    if start is not None:
        predicates.append(lambda row: row["created"] >= start)
    if end is not None:
        predicates.append(lambda row: row["created"] <= end)
    return predicates


def _moment(raw: Any, time_of_day: str) -> str | None:
    """A bound on `created`; a bare date means the start or the whole of that day."""
    text = as_text(raw).strip()
    if not text:
        return None
    for suffix in ("", f" {time_of_day}"):
        try:
            return datetime.strptime(text + suffix, TIME_FORMAT).strftime(TIME_FORMAT)
        except ValueError:
            continue
    raise Failure(f"时间格式错误: {text}")


def as_text(value: Any) -> str:
    return "" if value is None else stringify(value)


def as_nullable(value: Any) -> str | None:
    return None if value is None else stringify(value)
