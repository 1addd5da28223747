"""Emulated bangwo8 bindings API: `/api/v1/user/relationship/cid.json` (seed 000).

Faithful to the document's quirks: every value comes back as a string, errors come back
as `{"state": "403", "message": ...}` in the body (with HTTP 200 by default, see
`error_http_status`), GET needs `account_source` plus at least one of `cId`/`openId`, and
DELETE reads its parameters from the query string.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.sandbox.faults import (
    FaultPlan,
    RecordedRequest,
    intercept,
    parse_body,
    parse_int,
    stringify,
)

PATH = "/api/v1/user/relationship/cid.json"
# The GET/PUT/DELETE tables list three sources and POST four: all four are valid everywhere.
SOURCES = frozenset({"dingding", "wechat", "workWechat", "open"})
WRITES = frozenset({"POST", "PUT", "DELETE"})
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
SUCCESS: dict[str, Any] = {"data": True, "msg": "success"}

Row = dict[str, str]


class BindingError(Exception):
    """A failure the backend reports in the body as `{"state": "403", "message": ...}`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Bangwo8Emulator:
    def __init__(
        self,
        account: str = "agent@example.com",
        password: str = "secret",
        token: str | None = None,
    ) -> None:
        self.account = account
        self.password = password
        self.token = token
        self.contacts: set[int] = set()
        self.bindings: dict[tuple[int, str], Row] = {}
        self.requests: list[RecordedRequest] = []
        self.faults = FaultPlan()
        # The document shows bodies only; HTTP 200 forces the product to judge by the body.
        self.error_http_status = 200
        # Requestids answered from memory instead of being applied again.
        self.replayed: list[str] = []
        # One entry per DELETE handled: was it sent with Content-Type: multipart/form-data?
        self.multipart_deletes: list[bool] = []
        self._answers_by_request_id: dict[str, dict[str, Any]] = {}
        self._next_aid = 1
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=ALL_METHODS)])

    def add_contact(self, *cids: int) -> None:
        self.contacts.update(cids)

    def add_binding(
        self,
        cid: int,
        source: str,
        open_id: str,
        *,
        app_id: str = "",
        remark: str = "",
        aid: int | None = None,
    ) -> Row:
        """Store a binding as the backend would list it (the contact is created if needed)."""
        aid = self._next_aid if aid is None else aid
        self._next_aid = max(self._next_aid, aid + 1)
        digest = hashlib.md5(f"{aid}:{source}:{open_id}".encode()).hexdigest()
        row: Row = {
            "aId": str(aid),
            "cId": str(cid),
            "account": f"u2_{aid}_{digest}",
            "remark": remark,
            "templateId": "0",
            "openId": open_id,
            "appId": app_id,
            "account_source": source,
        }
        self.contacts.add(cid)
        self.bindings[(cid, source)] = row
        return row

    def seed_sample(self) -> None:
        """The document's examples plus a few rows covering every source and escaping."""
        self.add_contact(6862715, 70000002)
        sample = self.add_binding(30851821, "dingding", "10014850", aid=601993)
        # The document's own example account, not one derived by our md5 recipe.
        sample["account"] = "u2_601993_15cdbc98048f7c059b24f6f3f2065bbd"
        self.add_binding(
            30851821, "wechat", "oWx_30851821", app_id="wx8a1b2c3d", remark="<!channel> & <b>"
        )
        self.add_binding(40713895, "wechat", "12345", app_id="123")
        # Shares the dingding openId of 30851821: an openId query can return several contacts.
        self.add_binding(51234567, "dingding", "10014850")
        self.add_binding(51234567, "workWechat", "zhangsan", remark="WeCom *bold* _it_")
        self.add_binding(51234567, "open", "ext-42")
        self.add_binding(60000001, "open", "ext-42", remark="partner portal")

    async def _handle(self, request: Request) -> Response:
        return await intercept(request, self.requests, self.faults, self._serve)

    async def _serve(self, recorded: RecordedRequest) -> Response:
        if recorded.path != PATH:
            return JSONResponse({"state": "404", "message": "Not Found"}, status_code=404)
        if not self._authorized(recorded.headers.get("authorization", "")):
            return _unauthorized()
        handler = self._handlers().get(recorded.method)
        if handler is None:
            return JSONResponse({"state": "405", "message": "Method Not Allowed"}, 405)
        return self._answer(recorded, handler)

    def _handlers(self) -> dict[str, Callable[[RecordedRequest], dict[str, Any]]]:
        return {"GET": self._query, "POST": self._add, "PUT": self._update, "DELETE": self._remove}

    def _answer(
        self, recorded: RecordedRequest, handler: Callable[[RecordedRequest], dict[str, Any]]
    ) -> Response:
        request_id = recorded.headers.get("requestid") if recorded.method in WRITES else None
        if request_id and request_id in self._answers_by_request_id:
            self.replayed.append(request_id)
            return JSONResponse(self._answers_by_request_id[request_id])
        try:
            answer = handler(recorded)
        except BindingError as error:
            body = {"state": "403", "message": error.message}
            return JSONResponse(body, status_code=self.error_http_status)
        if request_id:
            self._answers_by_request_id[request_id] = answer
        return JSONResponse(answer)

    def _authorized(self, header: str) -> bool:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            return _basic_matches(credentials.strip(), f"{self.account}:{self.password}")
        if scheme.lower() == "bearer" and self.token is not None:
            return hmac.compare_digest(credentials.strip().encode(), self.token.encode())
        return False

    def _add(self, recorded: RecordedRequest) -> dict[str, Any]:
        params = _body_params(recorded)
        source = _source(params)
        open_id = _text(params.get("openId"))
        if not open_id:
            raise BindingError("openId error")
        cid = self._existing_contact(params)
        if (cid, source) in self.bindings:
            raise BindingError("Bind Already exists")
        self.add_binding(cid, source, open_id, app_id=_text(params.get("appId")))
        return SUCCESS

    def _query(self, recorded: RecordedRequest) -> dict[str, Any]:
        params = recorded.query
        source = _source(params)
        open_id = _text(params.get("openId"))
        if not params.get("cId") and not open_id:
            raise BindingError("param error")
        if params.get("cId"):
            rows = self._rows_of_contact(self._existing_contact(params), source, open_id)
        else:
            rows = self._rows_of_open_id(open_id, source)
        return {"data": [dict(row) for row in rows], "msg": "success"}

    def _rows_of_contact(self, cid: int, source: str, open_id: str) -> list[Row]:
        row = self.bindings.get((cid, source))
        # Both ids given: the row only comes back when they belong together.
        if row is None or (open_id and row["openId"] != open_id):
            return []
        return [row]

    def _rows_of_open_id(self, open_id: str, source: str) -> list[Row]:
        rows = [
            row
            for row in self.bindings.values()
            if row["account_source"] == source and row["openId"] == open_id
        ]
        return sorted(rows, key=lambda row: int(row["aId"]))

    def _update(self, recorded: RecordedRequest) -> dict[str, Any]:
        params = _body_params(recorded)
        row = self._existing_binding(params)
        if "openId" in params:
            open_id = _text(params["openId"])
            if not open_id:
                raise BindingError("openId error")
            row["openId"] = open_id
        if "appId" in params:
            row["appId"] = _text(params["appId"])
        return SUCCESS

    def _remove(self, recorded: RecordedRequest) -> dict[str, Any]:
        content_type = recorded.headers.get("content-type", "")
        self.multipart_deletes.append(content_type.startswith("multipart/form-data"))
        # The document's DELETE carries cId and account_source in the query string.
        row = self._existing_binding(recorded.query)
        del self.bindings[(int(row["cId"]), row["account_source"])]
        return SUCCESS

    def _existing_binding(self, params: dict[str, Any]) -> Row:
        source = _source(params)
        row = self.bindings.get((self._existing_contact(params), source))
        if row is None:
            # Not in the document: our wording for updating or removing a missing binding.
            raise BindingError("Bind not exists")
        return row

    def _existing_contact(self, params: dict[str, Any]) -> int:
        # Like the backend's integer coercion, a missing or non-numeric cId names no contact.
        cid = parse_int(params.get("cId"))
        if cid is None or cid not in self.contacts:
            raise BindingError("user error")
        return cid


def _source(params: dict[str, Any]) -> str:
    source = _text(params.get("account_source"))
    if source not in SOURCES:
        # Not in the document: our wording for a missing or unknown source (case-sensitive).
        raise BindingError("account_source error")
    return source


def _body_params(recorded: RecordedRequest) -> dict[str, Any]:
    return parse_body(recorded.headers.get("content-type", ""), recorded.body)


def _text(value: Any) -> str:
    return "" if value is None else stringify(value)


def _basic_matches(credentials: str, expected: str) -> bool:
    try:
        decoded = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(decoded, expected.encode())


def _unauthorized() -> Response:
    # The document shows no auth failure; this body mirrors its error shape.
    return JSONResponse(
        {"state": "401", "message": "Unauthorized"},
        status_code=401,
        headers={"WWW-Authenticate": 'Basic realm="bangwo8"'},
    )
