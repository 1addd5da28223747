"""Emulated UserCustomer (用户与客户) API: seven POST endpoints under `/api/user_customer/`
(seed 001) plus the platform's `POST /api/login`.

Every answer is the document's envelope; a failure is `code: 500` with a `msg` saying why,
carried by HTTP 200 unless `error_http_status` says otherwise. Bodies may be JSON or
urlencoded forms, where `condition` and `multi_delete`'s `customer_id` are JSON strings.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.faults import FaultPlan, RecordedRequest, intercept
from bot.sandbox.user_customer_query import (
    TIME_FORMAT,
    Failure,
    Params,
    Row,
    as_nullable,
    as_text,
    conditions,
    id_list,
    page,
    paging,
    relation_key,
    required_id,
    time_range,
)

API_PREFIX = "/api/user_customer/"
LOGIN_PATH = "/api/login"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MIX_CODE = 130001

# Authorization codes of the sample customers: `add` must quote the customer's own code.
SAMPLE_SECRETS: dict[int, str] = {
    1001: "s1001",
    1002: "s1002",
    1003: "s1003",
    1004: "s1004",
    1005: "s1005",
    1006: "s1006",
}
GENERATED_FIRST_CUSTOMER = 2000
GENERATED_FIRST_CREATED = datetime(2021, 1, 1, 9, 0, 0)

Outcome = tuple[str, Any]
Action = Callable[[Params], Outcome]


class UserCustomerEmulator:
    def __init__(
        self,
        token: str | None = "uc-static-token",
        username: str = "support",
        password: str = "pw",
        token_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.username = username
        self.password = password
        self.token_ttl = token_ttl
        self.clock = clock
        self.relations: dict[tuple[int, int], Row] = {}
        self.customer_secrets: dict[int, str] = {}
        self.requests: list[RecordedRequest] = []
        self.faults = FaultPlan()
        self.error_http_status = 200
        # Successful logins, i.e. tokens issued.
        self.login_count = 0
        self._issued_tokens: dict[str, float] = {}
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=ALL_METHODS)])

    def add_relation(
        self,
        user_id: int,
        customer_id: int,
        *,
        template: str | None = None,
        script: str | None = None,
        reference: str = "",
        created: str | None = None,
    ) -> Row:
        row: Row = {
            "user_id": user_id,
            "customer_id": customer_id,
            "template": template,
            "script": script,
            "reference": reference,
            "created": created or datetime.now().strftime(TIME_FORMAT),
            "is_available": 1,
            "boss_sync": 0,
        }
        self.relations[(user_id, customer_id)] = row
        return row

    def seed_sample(self, extra_rows: int = 0) -> None:
        """The document's two relations of user 998, a few more, and `extra_rows` for paging.

        Generated customers (2000 and up) follow the sample's secret pattern `s<customer_id>`.
        """
        self.customer_secrets.update(SAMPLE_SECRETS)
        self.add_relation(998, 1001, created="2018-11-28 10:40:31")
        self.add_relation(998, 1002, created="2018-11-28 11:04:18")
        self.add_relation(
            999,
            1001,
            template="tpl-basic",
            script="init();",
            reference="VIP-001",
            created="2019-03-02 09:15:00",
        )
        self.add_relation(
            999, 1003, template="tpl-gold", reference="VIP gold", created="2019-05-20 14:00:00"
        )
        self.add_relation(1000, 1002, reference="ordinary", created="2020-06-15 08:30:00")
        self.add_relation(
            1000,
            1004,
            template="<b>hi</b>",
            script="alert('x') && true",
            reference="<!channel> *bold* & <b>",
            created="2020-07-01 12:00:00",
        )
        for index in range(extra_rows):
            self._add_generated(index)

    def _add_generated(self, index: int) -> None:
        customer_id = GENERATED_FIRST_CUSTOMER + index
        created = GENERATED_FIRST_CREATED + timedelta(minutes=index)
        self.customer_secrets[customer_id] = f"s{customer_id}"
        self.add_relation(
            998, customer_id, reference=f"auto-{index}", created=created.strftime(TIME_FORMAT)
        )

    def expire_tokens(self) -> None:
        """Invalidate every token issued by login (the static token stays valid)."""
        self._issued_tokens.clear()

    async def _handle(self, request: Request) -> Response:
        return await intercept(request, self.requests, self.faults, self._serve)

    async def _serve(self, recorded: RecordedRequest) -> Response:
        action = self._route(recorded.path)
        if action is None:
            return JSONResponse(_envelope(404, "not found", []), status_code=404)
        if recorded.method != "POST":
            return JSONResponse(_envelope(405, "method not allowed", []), status_code=405)
        if recorded.path != LOGIN_PATH and not self._authorized(recorded.headers):
            return JSONResponse(_envelope(401, "token invalid", []), status_code=401)
        return self._respond(action, recorded.params)

    def _route(self, path: str) -> Action | None:
        if path == LOGIN_PATH:
            return self._login
        if not path.startswith(API_PREFIX):
            return None
        actions: dict[str, Action] = {
            "get_list": self._get_list,
            "get": self._get,
            "get_customer_list": self._get_customer_list,
            "add": self._add,
            "edit": self._edit,
            "delete": self._delete,
            "multi_delete": self._multi_delete,
        }
        return actions.get(path.removeprefix(API_PREFIX))

    def _respond(self, action: Action, params: Params) -> Response:
        try:
            msg, result = action(params)
        except Failure as failure:
            body = _envelope(500, failure.msg, [])
            return JSONResponse(body, status_code=self.error_http_status)
        return JSONResponse(_envelope(200, msg, result))

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        if self.token is not None and _same(token, self.token):
            return True
        deadline = self._issued_tokens.get(token)
        return deadline is not None and self.clock() < deadline

    def _login(self, params: Params) -> Outcome:
        if not as_text(params.get("system")):
            raise Failure("system不能为空")
        username, password = as_text(params.get("username")), as_text(params.get("password"))
        if not (_same(username, self.username) and _same(password, self.password)):
            raise Failure("用户名或密码错误")
        token = secrets.token_urlsafe(24)
        self._issued_tokens[token] = self.clock() + self.token_ttl
        self.login_count += 1
        ttl = self.token_ttl
        return "登录成功", {"token": token, "expires_in": int(ttl) if ttl.is_integer() else ttl}

    def _get_list(self, params: Params) -> Outcome:
        page_index, page_size = paging(params)
        predicates = conditions(params.get("condition")) + time_range(params)
        rows = [row for row in self._newest_first() if all(p(row) for p in predicates)]
        return "查询成功", page(rows, page_index, page_size)

    def _get(self, params: Params) -> Outcome:
        return "查询成功", dict(self._existing(params))

    def _get_customer_list(self, params: Params) -> Outcome:
        user_id = required_id(params, "user_id")
        page_index, page_size = paging(params)
        rows = [row for row in self._newest_first() if row["user_id"] == user_id]
        return "查询成功", page(rows, page_index, page_size)

    def _add(self, params: Params) -> Outcome:
        user_id, customer_id = relation_key(params)
        expected = self.customer_secrets.get(customer_id)
        secret = as_text(params.get("secret"))
        if expected is None or not secret or not _same(secret, expected):
            raise Failure("授权码错误")
        if (user_id, customer_id) in self.relations:
            raise Failure("已存在")
        self.add_relation(
            user_id,
            customer_id,
            template=as_nullable(params.get("template")),
            script=as_nullable(params.get("script")),
            reference=as_text(params.get("reference")),
        )
        return "添加成功", []

    def _edit(self, params: Params) -> Outcome:
        row = self._existing(params)
        for name in ("template", "script"):
            if name in params:
                row[name] = as_nullable(params[name])
        if "reference" in params:
            row["reference"] = as_text(params["reference"])
        return "编辑成功", []

    def _delete(self, params: Params) -> Outcome:
        row = self._existing(params)
        del self.relations[(row["user_id"], row["customer_id"])]
        return "删除成功", []

    def _multi_delete(self, params: Params) -> Outcome:
        # Not in the document: we delete whichever of the listed relations exist and fail
        # only when none of them does, so a retry after a partial success still succeeds.
        user_id = required_id(params, "user_id")
        keys = [(user_id, customer_id) for customer_id in id_list(params.get("customer_id"))]
        existing = [key for key in keys if key in self.relations]
        if not existing:
            raise Failure("记录不存在")
        for key in existing:
            del self.relations[key]
        return "删除成功", []

    def _existing(self, params: Params) -> Row:
        row = self.relations.get(relation_key(params))
        if row is None:
            raise Failure("记录不存在")
        return row

    def _newest_first(self) -> list[Row]:
        # Ties on `created` list the most recently stored relation first.
        return sorted(reversed(self.relations.values()), key=lambda r: r["created"], reverse=True)


def _envelope(code: int, msg: str, result: Any) -> dict[str, Any]:
    return {
        "code": code,
        "msg": msg,
        "mix_code": MIX_CODE,
        "mix_msg": "",
        "mix_ext": "",
        "result": result,
    }


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
