"""The backend clients on their own: typed answers and typed errors, over swappable transports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from bot.clients.bangwo8 import BindingsClient
from bot.clients.errors import (
    AlreadyBound,
    AuthenticationFailed,
    BackendBusy,
    BackendHttpError,
    BackendRejected,
    BackendTimeout,
    BackendUnreachable,
    ContactNotFound,
    MalformedResponse,
    WriteOutcomeUnknown,
)
from bot.clients.http import JsonHttp
from bot.clients.user_customer import UserCustomerClient
from bot.models import AccountSource, BindingKey, NewBinding, RelationKey

Handler = Callable[[httpx.Request], httpx.Response]


def bindings(handler: Handler) -> BindingsClient:
    return BindingsClient(
        "https://bangwo8.test",
        httpx.BasicAuth("a", "p"),
        1.0,
        transport=httpx.MockTransport(handler),
    )


def relations(handler: Handler) -> UserCustomerClient:
    return UserCustomerClient(
        "https://uc.test", timeout=1.0, token="t", transport=httpx.MockTransport(handler)
    )


def answer(body: object, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


ROW = {"cId": 30851821, "aId": 601993, "openId": 10014850, "account_source": "dingding"}


async def test_ids_are_read_whether_strings_or_numbers() -> None:
    as_strings = {k: str(v) for k, v in ROW.items()}
    for row in (ROW, as_strings):
        [binding] = await bindings(answer({"data": [row], "msg": "success"})).lookup(
            AccountSource.DINGDING, cid=30851821
        )
        assert binding.cid == 30851821 and binding.aid == 601993 and binding.open_id == "10014850"


@pytest.mark.parametrize("status", [200, 403])
async def test_failure_is_decided_from_the_body_not_the_status(status: int) -> None:
    client = bindings(answer({"state": "403", "message": "user error"}, status))
    with pytest.raises(ContactNotFound, match="does not exist"):
        await client.lookup(AccountSource.WECHAT, cid=1)
    client = bindings(answer({"state": "403", "message": "Bind Already exists"}, status))
    with pytest.raises(AlreadyBound):
        await client.add(NewBinding(cid=1, source=AccountSource.WECHAT, open_id="x"))


async def test_writes_carry_a_fresh_requestid_and_delete_uses_the_query_string() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": True, "msg": "success"})

    client = bindings(record)
    await client.add(NewBinding(cid=1, source=AccountSource.OPEN, open_id="o"))
    await client.delete(BindingKey(cid=1, source=AccountSource.OPEN))
    add, delete = seen
    assert add.headers["Requestid"] != delete.headers["Requestid"]
    assert json.loads(add.content) == {"cId": 1, "openId": "o", "account_source": "open"}
    assert dict(delete.url.params) == {"cId": "1", "account_source": "open"}
    assert delete.headers["Content-Type"] == "multipart/form-data" and delete.content == b""


async def test_reads_and_writes_fail_differently_when_nothing_comes_back() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(BackendTimeout):
        await bindings(timeout).lookup(AccountSource.OPEN, cid=1)
    with pytest.raises(WriteOutcomeUnknown, match="not known whether"):
        await bindings(timeout).add(NewBinding(cid=1, source=AccountSource.OPEN, open_id="o"))


async def test_a_connection_never_made_is_safe_to_say_so() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(BackendUnreachable):
        await bindings(refused).add(NewBinding(cid=1, source=AccountSource.OPEN, open_id="o"))


async def test_unexpected_answers_are_typed() -> None:
    html = lambda request: httpx.Response(502, text="<html>bad gateway</html>")  # noqa: E731
    with pytest.raises(BackendHttpError):
        await bindings(html).lookup(AccountSource.OPEN, cid=1)
    with pytest.raises(WriteOutcomeUnknown):
        await bindings(html).delete(BindingKey(cid=1, source=AccountSource.OPEN))
    with pytest.raises(MalformedResponse):
        await bindings(answer({"rows": []})).lookup(AccountSource.OPEN, cid=1)
    with pytest.raises(MalformedResponse):
        await bindings(answer({"data": [{"cId": "x"}]})).lookup(AccountSource.OPEN, cid=1)
    with pytest.raises(AuthenticationFailed):
        await bindings(answer({}, 401)).lookup(AccountSource.OPEN, cid=1)


async def test_a_failing_source_does_not_sink_the_others() -> None:
    def by_source(request: httpx.Request) -> httpx.Response:
        if request.url.params["account_source"] == "wechat":
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, json={"data": [], "msg": "success"})

    results = await bindings(by_source).lookup_sources(list(AccountSource), cid=1)
    assert isinstance(results[AccountSource.WECHAT], BackendTimeout)
    assert results[AccountSource.OPEN] == []


async def test_user_customer_code_500_is_its_msg_even_with_http_200() -> None:
    client = relations(answer({"code": 500, "msg": "授权码错误", "result": []}))
    with pytest.raises(BackendRejected) as raised:
        await client.delete(RelationKey(user_id=1, customer_id=2))
    assert raised.value.reason == "授权码错误"


async def test_user_customer_sends_json_with_string_ids() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"code": 200, "msg": "ok", "result": []})

    await relations(record).multi_delete(998, [1001, 1002])
    assert seen[0].url.path == "/api/user_customer/multi_delete"
    assert json.loads(seen[0].content) == {"user_id": "998", "customer_id": ["1001", "1002"]}
    assert seen[0].headers["Authorization"] == "Bearer t"


async def test_a_full_connection_pool_is_busy_not_unreachable() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(1.0)
        return httpx.Response(200, json={"data": [], "msg": "success"})

    http = JsonHttp(
        name="bangwo8",
        base_url="https://bangwo8.test",
        timeout=0.2,
        transport=httpx.MockTransport(slow),
        max_connections=1,
    )
    first = asyncio.create_task(http.send("GET", "/a", write=False))
    await asyncio.sleep(0)
    with pytest.raises(BackendBusy, match=r"stayed busy for 0\.2 s; nothing was sent"):
        await http.send("GET", "/b", write=False)
    first.cancel()
    await http.aclose()
