"""No write is sent twice by our side: a reset connection on a write is "outcome unknown".

aiohttp resends GET, PUT and DELETE once when a connection is reset; a write resent is a
write that may apply twice, so the transport must let a reset write fail instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.clients.errors import WriteOutcomeUnknown
from bot.models import (
    AccountSource,
    BindingChange,
    BindingKey,
    NewBinding,
    NewRelation,
    RelationChange,
    RelationKey,
)
from bot.sandbox.faults import FaultPlan, RecordedRequest
from bot.sandbox.harness import Sandbox

Write = Callable[[Sandbox], Awaitable[None]]

WRITES: dict[str, tuple[str, str, Write]] = {
    "bangwo8 add": (
        "bangwo8",
        "POST",
        lambda s: s.deps.bindings.add(
            NewBinding(cid=6862715, source=AccountSource.DINGDING, open_id="fresh-1")
        ),
    ),
    "bangwo8 edit": (
        "bangwo8",
        "PUT",
        lambda s: s.deps.bindings.change(
            BindingChange(cid=30851821, source=AccountSource.DINGDING, open_id="changed")
        ),
    ),
    "bangwo8 delete": (
        "bangwo8",
        "DELETE",
        lambda s: s.deps.bindings.delete(BindingKey(cid=30851821, source=AccountSource.DINGDING)),
    ),
    "uc add": (
        "user_customer",
        "/add",
        lambda s: s.deps.relations.add(NewRelation(user_id=998, customer_id=4242, secret="x")),
    ),
    "uc edit": (
        "user_customer",
        "/edit",
        lambda s: s.deps.relations.edit(
            RelationChange(user_id=998, customer_id=1001, reference="changed")
        ),
    ),
    "uc delete": (
        "user_customer",
        "/delete",
        lambda s: s.deps.relations.delete(RelationKey(user_id=998, customer_id=1001)),
    ),
    "uc multi_delete": (
        "user_customer",
        "/multi_delete",
        lambda s: s.deps.relations.multi_delete(998, [1001, 1002]),
    ),
}


def _emulator(sandbox: Sandbox, name: str) -> tuple[list[RecordedRequest], FaultPlan]:
    emulator: Any = sandbox.bangwo8 if name == "bangwo8" else sandbox.user_customer
    return emulator.requests, emulator.faults


def _is(request: RecordedRequest, what: str) -> bool:
    return request.path.endswith(what) if what.startswith("/") else request.method == what


@pytest.mark.parametrize("which", list(WRITES))
async def test_a_reset_write_reaches_the_backend_once_and_is_outcome_unknown(
    sandbox: Sandbox, which: str
) -> None:
    backend, what, write = WRITES[which]
    requests, faults = _emulator(sandbox, backend)
    # A read first, so the write goes out on a reused keep-alive connection.
    await sandbox.deps.bindings.get(BindingKey(cid=30851821, source=AccountSource.DINGDING))
    await sandbox.deps.relations.find(RelationKey(user_id=998, customer_id=1001))
    if what.startswith("/"):
        faults.inject(reset=True, path=what, times=2)
    else:
        faults.inject(reset=True, method=what, times=2)

    with pytest.raises(WriteOutcomeUnknown) as raised:
        await write(sandbox)

    assert [r for r in requests if _is(r, what)].__len__() == 1
    assert "not known whether the change was made" in raised.value.sentence


async def test_a_reset_read_is_still_retried_once(sandbox: Sandbox) -> None:
    """Reads keep aiohttp's one retry on a reset: they cannot apply anything."""
    key = BindingKey(cid=30851821, source=AccountSource.DINGDING)
    await sandbox.deps.bindings.get(key)
    sandbox.bangwo8.faults.inject(reset=True, method="GET", times=1)
    assert await sandbox.deps.bindings.get(key) is not None
    assert len([r for r in sandbox.bangwo8.requests if r.method == "GET"]) == 3
