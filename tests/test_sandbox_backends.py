"""The emulated backends over real HTTP: documented behaviour, quirks and injected faults.

One server per emulator serves the whole module (uvicorn's shutdown costs 0.1 s); each
test swaps a fresh emulator in behind it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.sandbox.bangwo8 import PATH, Bangwo8Emulator
from bot.sandbox.faults import FaultPlan
from bot.sandbox.http import serve_asgi
from bot.sandbox.user_customer import UserCustomerEmulator

pytestmark = pytest.mark.asyncio(loop_scope="module")

BASIC = ("agent@example.com", "secret")
UC_AUTH = {"Authorization": "Bearer uc-static-token"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DOC_ROW = {
    "aId": "601993",
    "cId": "30851821",
    "account": "u2_601993_15cdbc98048f7c059b24f6f3f2065bbd",
    "remark": "",
    "templateId": "0",
    "openId": "10014850",
    "appId": "",
    "account_source": "dingding",
}
DOC_UC_ROWS = [
    {
        "user_id": 998,
        "customer_id": 1002,
        "template": None,
        "script": None,
        "reference": "",
        "created": "2018-11-28 11:04:18",
        "is_available": 1,
        "boss_sync": 0,
    },
    {
        "user_id": 998,
        "customer_id": 1001,
        "template": None,
        "script": None,
        "reference": "",
        "created": "2018-11-28 10:40:31",
        "is_available": 1,
        "boss_sync": 0,
    },
]


class Swap:
    """An ASGI app that forwards to whichever emulator the current test installed."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self.app is not None
        await self.app(scope, receive, send)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def bangwo8_server() -> AsyncIterator[tuple[Swap, str]]:
    swap = Swap()
    async with serve_asgi(swap) as url:
        yield swap, url


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def uc_server() -> AsyncIterator[tuple[Swap, str]]:
    swap = Swap()
    async with serve_asgi(swap) as url:
        yield swap, url


@pytest.fixture
def bangwo8(bangwo8_server: tuple[Swap, str]) -> Bangwo8Emulator:
    emulator = Bangwo8Emulator(token="bw-token")
    emulator.seed_sample()
    bangwo8_server[0].app = emulator.app
    return emulator


@pytest_asyncio.fixture(loop_scope="module")
async def bw(
    bangwo8: Bangwo8Emulator, bangwo8_server: tuple[Swap, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=bangwo8_server[1], auth=BASIC, timeout=2) as client:
        yield client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def uc(uc_server: tuple[Swap, str], clock: FakeClock) -> UserCustomerEmulator:
    emulator = UserCustomerEmulator(token_ttl=60.0, clock=clock)
    emulator.seed_sample(extra_rows=45)
    uc_server[0].app = emulator.app
    return emulator


@pytest_asyncio.fixture(loop_scope="module")
async def ucc(
    uc: UserCustomerEmulator, uc_server: tuple[Swap, str]
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=uc_server[1], headers=UC_AUTH, timeout=2) as client:
        yield client


async def bw_get(client: httpx.AsyncClient, **params: Any) -> Any:
    response = await client.get(PATH, params=params)
    assert response.status_code == 200
    return response.json()


async def call(client: httpx.AsyncClient, endpoint: str, **payload: Any) -> Any:
    response = await client.post(f"/api/user_customer/{endpoint}", json=payload)
    assert response.status_code == 200
    return response.json()


async def call_form(client: httpx.AsyncClient, endpoint: str, **payload: Any) -> Any:
    response = await client.post(f"/api/user_customer/{endpoint}", data=payload)
    assert response.status_code == 200
    return response.json()


def user_403(message: str) -> dict[str, str]:
    return {"state": "403", "message": message}


# bangwo8: auth


async def test_bangwo8_rejects_missing_or_wrong_credentials(
    bangwo8_server: tuple[Swap, str], bangwo8: Bangwo8Emulator
) -> None:
    url = bangwo8_server[1] + PATH
    query = {"cId": "30851821", "account_source": "dingding"}
    async with httpx.AsyncClient() as client:
        for auth in (None, ("agent@example.com", "wrong")):
            response = await client.get(url, params=query, auth=auth)
            assert response.status_code == 401
            assert response.json() == {"state": "401", "message": "Unauthorized"}
        bearer = {"Authorization": "Bearer bw-token"}
        assert (await client.get(url, params=query, headers=bearer)).status_code == 200


async def test_bangwo8_bearer_refused_when_no_token_configured(
    bangwo8_server: tuple[Swap, str],
) -> None:
    emulator = Bangwo8Emulator()
    emulator.seed_sample()
    bangwo8_server[0].app = emulator.app
    async with httpx.AsyncClient(base_url=bangwo8_server[1]) as client:
        headers = {"Authorization": "Bearer anything"}
        response = await client.get(PATH, params={"cId": "1"}, headers=headers)
    assert response.status_code == 401


# bangwo8: GET


async def test_get_returns_the_documents_example_row(bw: httpx.AsyncClient) -> None:
    query = {"cId": 30851821, "account_source": "dingding", "openId": "10014850"}
    assert await bw_get(bw, **query) == {"data": [DOC_ROW], "msg": "success"}


async def test_get_with_both_ids_returns_a_row_only_when_they_belong_together(
    bw: httpx.AsyncClient,
) -> None:
    body = await bw_get(bw, cId=30851821, account_source="dingding", openId="12345")
    assert body == {"data": [], "msg": "success"}


async def test_get_by_open_id_lists_every_contact_bound_to_it(bw: httpx.AsyncClient) -> None:
    body = await bw_get(bw, openId="10014850", account_source="dingding")
    assert [row["cId"] for row in body["data"]] == ["30851821", "51234567"]
    assert await bw_get(bw, openId="10014850", account_source="wechat") == {
        "data": [],
        "msg": "success",
    }


async def test_get_contact_without_binding_is_an_empty_list(bw: httpx.AsyncClient) -> None:
    assert await bw_get(bw, cId=6862715, account_source="wechat") == {"data": [], "msg": "success"}


async def test_get_errors_come_back_as_403_bodies_with_http_200(bw: httpx.AsyncClient) -> None:
    assert await bw_get(bw, cId=999, account_source="wechat") == user_403("user error")
    assert await bw_get(bw, account_source="wechat") == user_403("param error")
    assert await bw_get(bw, cId=30851821) == user_403("account_source error")
    assert await bw_get(bw, cId=30851821, account_source="WeChat") == user_403(
        "account_source error"
    )


async def test_error_http_status_is_configurable(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    bangwo8.error_http_status = 403
    response = await bw.get(PATH, params={"cId": 999, "account_source": "open"})
    assert response.status_code == 403
    assert response.json() == user_403("user error")


# bangwo8: POST, PUT, DELETE


async def test_post_adds_a_binding_listed_with_string_values(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    doc_example = {
        "cId": "6862715",
        "openId": "564354327",
        "appId": "789",
        "account_source": "wechat",
    }
    response = await bw.post(PATH, json=doc_example)
    assert response.json() == {"data": True, "msg": "success"}
    (row,) = (await bw_get(bw, cId=6862715, account_source="wechat"))["data"]
    assert row["cId"] == "6862715"
    assert (row["openId"], row["appId"], row["remark"], row["templateId"]) == (
        "564354327",
        "789",
        "",
        "0",
    )
    assert re.fullmatch(rf"u2_{row['aId']}_[0-9a-f]{{32}}", row["account"])
    assert all(isinstance(value, str) for value in row.values())
    assert bangwo8.bindings[(6862715, "wechat")] == row


async def test_post_accepts_an_int_cid_and_every_source(bw: httpx.AsyncClient) -> None:
    for source in ("dingding", "workWechat", "open"):
        body = {"cId": 6862715, "openId": f"o-{source}", "account_source": source}
        assert (await bw.post(PATH, json=body)).json() == {"data": True, "msg": "success"}


async def test_post_keeps_one_binding_per_contact_and_source(bw: httpx.AsyncClient) -> None:
    body = {"cId": 30851821, "openId": "other", "account_source": "dingding"}
    assert (await bw.post(PATH, json=body)).json() == user_403("Bind Already exists")


async def test_post_errors(bw: httpx.AsyncClient) -> None:
    unknown = {"cId": 1, "openId": "x", "account_source": "wechat"}
    assert (await bw.post(PATH, json=unknown)).json() == user_403("user error")
    no_open_id = {"cId": 6862715, "account_source": "wechat"}
    assert (await bw.post(PATH, json=no_open_id)).json()["state"] == "403"


async def test_put_updates_only_the_given_fields(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    body = {"cId": "40713895", "account_source": "wechat", "openId": "777"}
    assert (await bw.put(PATH, json=body)).json() == {"data": True, "msg": "success"}
    row = bangwo8.bindings[(40713895, "wechat")]
    assert (row["openId"], row["appId"]) == ("777", "123")


async def test_put_errors(bw: httpx.AsyncClient) -> None:
    missing = {"cId": 6862715, "account_source": "wechat", "openId": "1"}
    assert (await bw.put(PATH, json=missing)).json() == user_403("Bind not exists")
    unknown = {"cId": 5, "account_source": "wechat", "openId": "1"}
    assert (await bw.put(PATH, json=unknown)).json() == user_403("user error")


async def test_delete_reads_the_query_string_and_notes_multipart_header(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    query = {"account_source": "wechat", "cId": "40713895"}
    response = await bw.delete(PATH, params=query, headers=headers)
    assert response.json() == {"data": True, "msg": "success"}
    assert (40713895, "wechat") not in bangwo8.bindings
    assert bangwo8.multipart_deletes == [True]
    assert (await bw.delete(PATH, params=query)).json() == user_403("Bind not exists")
    assert bangwo8.multipart_deletes == [True, False]


async def test_delete_ignores_parameters_in_the_body(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    body = json.dumps({"account_source": "dingding", "cId": 30851821})
    response = await bw.request("DELETE", PATH, content=body)
    assert response.json() == user_403("account_source error")
    assert (30851821, "dingding") in bangwo8.bindings


async def test_repeated_requestid_replays_the_first_answer(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    body = {"cId": 6862715, "openId": "1", "account_source": "open"}
    for _ in range(2):
        response = await bw.post(PATH, json=body, headers={"Requestid": "req-1"})
        assert response.json() == {"data": True, "msg": "success"}
    assert bangwo8.replayed == ["req-1"]
    fresh = await bw.post(PATH, json=body, headers={"Requestid": "req-2"})
    assert fresh.json() == user_403("Bind Already exists")


async def test_failed_write_requestid_is_not_remembered(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    body = {"cId": 424242, "openId": "1", "account_source": "open"}
    headers = {"Requestid": "req-3"}
    assert (await bw.post(PATH, json=body, headers=headers)).json() == user_403("user error")
    bangwo8.add_contact(424242)
    response = await bw.post(PATH, json=body, headers=headers)
    assert response.json() == {"data": True, "msg": "success"}
    assert bangwo8.replayed == []


async def test_requests_are_recorded_with_parsed_params(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    await bw.post(PATH, json={"cId": 6862715, "openId": "9", "account_source": "open"})
    await bw.get(PATH, params={"cId": "6862715", "account_source": "open"})
    post, get = bangwo8.requests
    assert (post.method, post.path, post.params["cId"]) == ("POST", PATH, 6862715)
    assert post.headers["authorization"].startswith("Basic ")
    assert get.query == {"cId": "6862715", "account_source": "open"}
    assert get.params == get.query


async def test_seed_escaping_sample(bw: httpx.AsyncClient) -> None:
    (row,) = (await bw_get(bw, cId=30851821, account_source="wechat"))["data"]
    assert row["remark"] == "<!channel> & <b>"


# UserCustomer: auth


async def test_uc_requires_a_valid_bearer_token(uc_server: tuple[Swap, str]) -> None:
    emulator = UserCustomerEmulator()
    uc_server[0].app = emulator.app
    async with httpx.AsyncClient(base_url=uc_server[1]) as client:
        for headers in ({}, {"Authorization": "Bearer nope"}):
            response = await client.post("/api/user_customer/get_list", headers=headers)
            assert response.status_code == 401
            assert response.json()["code"] == 401
            assert response.json()["msg"] == "token invalid"
        response = await client.post("/api/user_customer/get_list", headers=UC_AUTH)
        assert response.json()["code"] == 200


async def test_login_issues_expiring_tokens(
    uc: UserCustomerEmulator, uc_server: tuple[Swap, str], clock: FakeClock
) -> None:
    async with httpx.AsyncClient(base_url=uc_server[1]) as client:
        login = {"username": "support", "password": "pw", "system": "support-bot"}
        body = (await client.post("/api/login", json=login)).json()
        assert (body["code"], body["msg"], body["result"]["expires_in"]) == (200, "登录成功", 60)
        headers = {"Authorization": f"Bearer {body['result']['token']}"}
        url = "/api/user_customer/get"
        assert (await client.post(url, headers=headers, json={})).status_code == 200
        clock.now += 61
        assert (await client.post(url, headers=headers, json={})).status_code == 401
    assert uc.login_count == 1


async def test_login_by_form_and_expire_tokens(
    uc: UserCustomerEmulator, uc_server: tuple[Swap, str]
) -> None:
    async with httpx.AsyncClient(base_url=uc_server[1]) as client:
        form = {"username": "support", "password": "pw", "system": "x"}
        token = (await client.post("/api/login", data=form)).json()["result"]["token"]
        uc.expire_tokens()
        headers = {"Authorization": f"Bearer {token}"}
        response = await client.post("/api/user_customer/get_list", headers=headers)
        assert response.status_code == 401
        assert (await client.post("/api/user_customer/get_list", headers=UC_AUTH)).is_success


async def test_login_refuses_bad_credentials(
    uc: UserCustomerEmulator, uc_server: tuple[Swap, str]
) -> None:
    async with httpx.AsyncClient(base_url=uc_server[1]) as client:
        bad = {"username": "support", "password": "no", "system": "x"}
        body = (await client.post("/api/login", json=bad)).json()
    assert (body["code"], body["msg"]) == (500, "用户名或密码错误")
    assert uc.login_count == 0


# UserCustomer: get_list


async def test_get_list_matches_the_documents_example(ucc: httpx.AsyncClient) -> None:
    condition = [["user_id", "=", "998"], ["customer_id", "<", "2000"]]
    body = await call(ucc, "get_list", condition=condition)
    assert body == {
        "code": 200,
        "msg": "查询成功",
        "mix_code": 130001,
        "mix_msg": "",
        "mix_ext": "",
        "result": {
            "page_index": 1,
            "page_size": 20,
            "total_pages": 1,
            "total_records": 2,
            "data": DOC_UC_ROWS,
        },
    }


async def test_get_list_pages_newest_first_with_defaults(ucc: httpx.AsyncClient) -> None:
    first = (await call(ucc, "get_list"))["result"]
    assert (first["page_index"], first["page_size"], first["total_records"]) == (1, 20, 51)
    assert first["total_pages"] == 3
    created = [row["created"] for row in first["data"]]
    assert created == sorted(created, reverse=True)
    last = (await call_form(ucc, "get_list", page_index="3", page_size="20"))["result"]
    assert len(last["data"]) == 11
    beyond = (await call(ucc, "get_list", page_index=9))["result"]
    assert beyond["data"] == []


@pytest.mark.parametrize("paging", [{"page_index": 0}, {"page_size": "-1"}, {"page_size": "x"}])
async def test_get_list_rejects_non_positive_paging(
    ucc: httpx.AsyncClient, paging: dict[str, Any]
) -> None:
    body = await call(ucc, "get_list", **paging)
    assert (body["code"], body["result"]) == (500, [])
    assert body["msg"]


async def test_condition_as_json_string_in_a_form_body(ucc: httpx.AsyncClient) -> None:
    condition = json.dumps([["reference", "like", "vip"]])
    body = await call_form(ucc, "get_list", condition=condition)
    refs = {row["reference"] for row in body["result"]["data"]}
    assert refs == {"VIP-001", "VIP gold"}
    as_string_in_json = await call(ucc, "get_list", condition=condition)
    assert as_string_in_json["result"] == body["result"]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (["customer_id", "=", 1001], {(998, 1001), (999, 1001)}),
        (["user_id", "!=", "998"], {(999, 1001), (999, 1003), (1000, 1002), (1000, 1004)}),
        (["user_id", ">", "999"], {(1000, 1002), (1000, 1004)}),
        (["user_id", ">=", "999"], {(999, 1001), (999, 1003), (1000, 1002), (1000, 1004)}),
        (["customer_id", "<", "1002"], {(998, 1001), (999, 1001)}),
        (["customer_id", "<=", "1001"], {(998, 1001), (999, 1001)}),
        (["reference", "like", "VIP%gold"], {(999, 1003)}),
        (["template", "!=", "tpl-gold"], {(999, 1001), (1000, 1004)}),
        (["reference", "like", "<!channel>"], {(1000, 1004)}),
    ],
)
async def test_condition_operators(
    ucc: httpx.AsyncClient, condition: list[Any], expected: set[tuple[int, int]]
) -> None:
    body = await call(ucc, "get_list", condition=[condition, ["customer_id", "<", 2000]])
    found = {(row["user_id"], row["customer_id"]) for row in body["result"]["data"]}
    assert found == expected


@pytest.mark.parametrize(
    "condition",
    [
        [["nope", "=", "1"]],
        [["user_id", "~", "1"]],
        [["user_id", "="]],
        "[[",
        [["user_id", ">", "x"]],
    ],
)
async def test_bad_conditions_fail_with_code_500(ucc: httpx.AsyncClient, condition: Any) -> None:
    body = await call(ucc, "get_list", condition=condition)
    assert body["code"] == 500


async def test_time_range_on_created(ucc: httpx.AsyncClient) -> None:
    day = await call(ucc, "get_list", start_time="2018-11-28", end_time="2018-11-28")
    assert [row["customer_id"] for row in day["result"]["data"]] == [1002, 1001]
    window = await call_form(
        ucc, "get_list", start_time="2018-11-28 10:50:00", end_time="2019-03-02 09:15:00"
    )
    assert [row["created"] for row in window["result"]["data"]] == [
        "2019-03-02 09:15:00",
        "2018-11-28 11:04:18",
    ]
    assert (await call(ucc, "get_list", start_time="yesterday"))["code"] == 500


# UserCustomer: get, get_customer_list


async def test_get_one_relation(ucc: httpx.AsyncClient) -> None:
    body = await call_form(ucc, "get", user_id="998", customer_id="1001")
    assert (body["code"], body["result"]) == (200, DOC_UC_ROWS[1])
    missing = await call(ucc, "get", user_id=998, customer_id=1)
    assert (missing["code"], missing["msg"]) == (500, "记录不存在")


async def test_get_customer_list(ucc: httpx.AsyncClient) -> None:
    body = await call(ucc, "get_customer_list", user_id="999", page_size=1)
    result = body["result"]
    assert (result["total_records"], result["total_pages"], result["page_size"]) == (2, 2, 1)
    assert [row["customer_id"] for row in result["data"]] == [1003]


# UserCustomer: writes


async def test_add_checks_the_customers_secret(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    relation = {"user_id": "998", "customer_id": "1005", "reference": "R-1"}
    for secret in (None, "s1001"):
        body = await call(ucc, "add", secret=secret, **relation)
        assert (body["code"], body["msg"]) == (500, "授权码错误")
    body = await call_form(ucc, "add", secret="s1005", **relation)
    assert body == {
        "code": 200,
        "msg": "添加成功",
        "mix_code": 130001,
        "mix_msg": "",
        "mix_ext": "",
        "result": [],
    }
    row = uc.relations[(998, 1005)]
    assert (row["template"], row["reference"], row["is_available"]) == (None, "R-1", 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["created"])
    again = await call(ucc, "add", secret="s1005", **relation)
    assert (again["code"], again["msg"]) == (500, "已存在")


async def test_edit_updates_only_given_fields(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    body = await call(ucc, "edit", user_id=999, customer_id=1001, reference="VIP-002")
    assert (body["code"], body["msg"], body["result"]) == (200, "编辑成功", [])
    row = uc.relations[(999, 1001)]
    assert (row["reference"], row["template"], row["script"]) == ("VIP-002", "tpl-basic", "init();")
    missing = await call(ucc, "edit", user_id=999, customer_id=5, reference="x")
    assert missing["code"] == 500


async def test_delete(uc: UserCustomerEmulator, ucc: httpx.AsyncClient) -> None:
    body = await call_form(ucc, "delete", user_id="998", customer_id="1001")
    assert (body["code"], body["msg"]) == (200, "删除成功")
    assert (998, 1001) not in uc.relations
    assert (await call(ucc, "delete", user_id=998, customer_id=1001))["code"] == 500


async def test_multi_delete_takes_a_json_list_in_form_or_json(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    form = await call_form(ucc, "multi_delete", user_id="998", customer_id='["2000", "2001"]')
    assert (form["code"], form["msg"]) == (200, "删除成功")
    partial = await call(ucc, "multi_delete", user_id=998, customer_id=[2002, "1", "2000"])
    assert partial["code"] == 200
    assert not {(998, 2000), (998, 2001), (998, 2002)} & set(uc.relations)
    gone = await call(ucc, "multi_delete", user_id=998, customer_id=["2000"])
    assert (gone["code"], gone["msg"]) == (500, "记录不存在")
    assert (await call_form(ucc, "multi_delete", user_id="998", customer_id="2003"))["code"] == 500


async def test_uc_error_http_status_is_configurable(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    uc.error_http_status = 500
    response = await ucc.post("/api/user_customer/get", json={"user_id": 1, "customer_id": 2})
    assert response.status_code == 500
    assert response.json()["code"] == 500


# Faults


async def test_fault_plan_matching_and_times() -> None:
    plan = FaultPlan()
    fault = plan.inject(status=503, times=2, method="post", path="/get_list", params={"a": "1"})
    assert plan.take("POST", "/api/user_customer/get", {"a": 1}) is None
    assert plan.take("GET", "/api/user_customer/get_list", {"a": 1}) is None
    assert plan.take("POST", "/api/user_customer/get_list", {"a": "2"}) is None
    assert plan.take("POST", "/api/user_customer/get_list", {"a": 1}) is fault
    assert plan.take("POST", "/api/user_customer/get_list", {"a": "1"}) is fault
    assert plan.take("POST", "/api/user_customer/get_list", {"a": "1"}) is None
    with pytest.raises(TypeError):
        plan.inject(latnecy=1)


async def test_latency_delays_then_answers_normally(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    bangwo8.faults.inject(latency=0.15)
    started = time.monotonic()
    body = await bw_get(bw, cId=30851821, account_source="dingding")
    assert time.monotonic() - started >= 0.15
    assert body["data"] == [DOC_ROW]


async def test_write_delayed_past_the_client_timeout_is_still_applied(
    bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient
) -> None:
    bangwo8.faults.inject(latency=0.2, method="POST")
    body = {"cId": 6862715, "openId": "late", "account_source": "wechat"}
    with pytest.raises(httpx.ReadTimeout):
        await bw.post(PATH, json=body, timeout=0.05)
    for _ in range(200):  # the delayed write lands after the client gave up
        if (6862715, "wechat") in bangwo8.bindings:
            break
        await asyncio.sleep(0.01)
    assert bangwo8.bindings[(6862715, "wechat")]["openId"] == "late"


async def test_status_fault_answers_json_error_or_given_body(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    uc.faults.inject(status=503, times=1)
    response = await ucc.post("/api/user_customer/get_list")
    assert (response.status_code, response.json()["status"]) == (503, 503)
    uc.faults.inject(status=502, body="<html>Bad Gateway</html>", times=1)
    response = await ucc.post("/api/user_customer/get_list")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert (await ucc.post("/api/user_customer/get_list")).json()["code"] == 200


async def test_malformed_body_fault(bangwo8: Bangwo8Emulator, bw: httpx.AsyncClient) -> None:
    bangwo8.faults.inject(body='{"data": [', method="GET")
    response = await bw.get(PATH, params={"cId": 30851821, "account_source": "dingding"})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_fault_matches_params_across_encodings(
    uc: UserCustomerEmulator, ucc: httpx.AsyncClient
) -> None:
    uc.faults.inject(status=504, params={"user_id": "998"}, path="/get")
    assert (await ucc.post("/api/user_customer/get", json={"user_id": 998})).status_code == 504
    form = await ucc.post("/api/user_customer/get", data={"user_id": "998"}, headers=FORM)
    assert form.status_code == 504
    other = await ucc.post("/api/user_customer/get", json={"user_id": 999, "customer_id": 1001})
    assert other.json()["code"] == 200
    assert len(uc.requests) == 3


async def test_hang_ends_when_the_client_gives_up_and_write_is_not_applied() -> None:
    emulator = Bangwo8Emulator()
    emulator.seed_sample()
    emulator.faults.inject(hang=True, params={"account_source": "open"})
    body = {"cId": 6862715, "openId": "h", "account_source": "open"}
    started = time.monotonic()
    async with (
        serve_asgi(emulator.app) as url,
        httpx.AsyncClient(base_url=url, auth=BASIC) as client,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await client.post(PATH, json=body, timeout=0.1)
        assert emulator.requests[-1].params["account_source"] == "open"
    assert time.monotonic() - started < 1.5
    assert (6862715, "open") not in emulator.bindings
