"""Async client for the UserCustomer relation API (`/api/user_customer/*`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import ValidationError

from bot.clients.errors import AuthenticationFailed, BackendRejected, MalformedResponse
from bot.clients.http import BearerAuth, JsonHttp, unrecognized_answer
from bot.i18n import N_
from bot.models import (
    Condition,
    NewRelation,
    Operator,
    Relation,
    RelationChange,
    RelationField,
    RelationKey,
    RelationPage,
    RelationQuery,
)

NAME = "UserCustomer"
PREFIX = "/api/user_customer"
LOGIN_PATH = "/api/login"
# Renew a little before the platform's stated expiry, so a request never races it.
_EXPIRY_MARGIN = 30.0


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    system: str


@dataclass(frozen=True)
class _Token:
    value: str
    expires_at: float | None


class LoginAuth(httpx.Auth):
    """Bearer auth with a token from the platform's login, cached and renewed when needed.

    Renewal happens when the token is past its stated expiry, or once after a 401. Concurrent
    requests that find the token stale share one login. Re-sending after a 401 is safe: the
    platform refused the request before doing anything with it.
    """

    def __init__(
        self, login: Callable[[], Awaitable[_Token]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._login = login
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._fresh(stale=None)
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401:
            token = await self._fresh(stale=token)
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request

    async def _fresh(self, *, stale: _Token | None) -> _Token:
        async with self._lock:
            current = self._token
            if current is not None and current is not stale and not self._expired(current):
                return current
            self._token = await self._login()
            return self._token

    def _expired(self, token: _Token) -> bool:
        return token.expires_at is not None and self._clock() >= token.expires_at


class UserCustomerClient:
    """Query, add, edit and delete the relations between users and the customers they follow."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        token: str | None = None,
        credentials: Credentials | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        **limits: Any,
    ) -> None:
        if token is None and credentials is None:
            raise ValueError("UserCustomer needs a token or login credentials")
        self._credentials = credentials
        self._clock = clock
        auth: httpx.Auth = BearerAuth(token) if token is not None else LoginAuth(self._login, clock)
        self._http = JsonHttp(
            name=NAME, base_url=base_url, auth=auth, timeout=timeout, transport=transport, **limits
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- reads ----

    async def list(self, query: RelationQuery) -> RelationPage:
        body: dict[str, Any] = {"page_index": query.page, "page_size": query.size}
        if query.conditions:
            body["condition"] = [condition.triple() for condition in query.conditions]
        if query.start_time:
            body["start_time"] = query.start_time
        if query.end_time:
            body["end_time"] = query.end_time
        return _page(await self._call("get_list", body, write=False))

    async def find(self, key: RelationKey) -> Relation | None:
        """The relation, or None when it does not exist.

        `get` reports a missing record only as a `code: 500` whose wording is not documented,
        so existence is asked of `get_list` with exact conditions, which answers an empty page.
        """
        page = await self.list(
            RelationQuery(
                conditions=(
                    Condition(field=RelationField.USER_ID, op=Operator.EQ, value=str(key.user_id)),
                    Condition(
                        field=RelationField.CUSTOMER_ID, op=Operator.EQ, value=str(key.customer_id)
                    ),
                ),
                size=1,
            )
        )
        return next((row for row in page.data if row.key == key), None)

    async def find_many(
        self, keys: Sequence[RelationKey], *, concurrency: int = 8
    ) -> dict[RelationKey, Relation | None]:
        gate = asyncio.Semaphore(concurrency)

        async def one(key: RelationKey) -> Relation | None:
            async with gate:
                return await self.find(key)

        found = await asyncio.gather(*(one(key) for key in keys))
        return dict(zip(keys, found, strict=True))

    async def follows(self, user_id: int, *, page: int = 1, size: int = 20) -> RelationPage:
        body = {"user_id": str(user_id), "page_index": page, "page_size": size}
        return _page(await self._call("get_customer_list", body, write=False))

    # ---- writes (never retried: each could apply twice) ----

    async def add(self, relation: NewRelation) -> None:
        body = {
            "user_id": str(relation.user_id),
            "customer_id": str(relation.customer_id),
            "secret": relation.secret,
            **_optional_texts(relation.template, relation.script, relation.reference),
        }
        await self._call("add", body, write=True)

    async def edit(self, change: RelationChange) -> None:
        body = {
            **_key_body(RelationKey(user_id=change.user_id, customer_id=change.customer_id)),
            **_optional_texts(change.template, change.script, change.reference),
        }
        await self._call("edit", body, write=True)

    async def delete(self, key: RelationKey) -> None:
        await self._call("delete", _key_body(key), write=True)

    async def multi_delete(self, user_id: int, customer_ids: Sequence[int]) -> None:
        body = {"user_id": str(user_id), "customer_id": [str(c) for c in customer_ids]}
        await self._call("multi_delete", body, write=True)

    # ---- plumbing ----

    async def _call(self, endpoint: str, body: dict[str, Any], *, write: bool) -> Any:
        status, answer = await self._http.send(
            "POST", f"{PREFIX}/{endpoint}", write=write, json=body
        )
        return _verdict(status, answer, write=write)

    async def _login(self) -> _Token:
        assert self._credentials is not None
        body = {
            "username": self._credentials.username,
            "password": self._credentials.password,
            "system": self._credentials.system,
        }
        # The login carries no bearer token (so a refusal cannot trigger another login), and
        # it is sent for a request that already holds a connection slot: it does not queue.
        status, answer = await self._http.send(
            "POST", LOGIN_PATH, write=False, json=body, auth=None, queued=False
        )
        try:
            result = _verdict(status, answer, write=False)
        except BackendRejected as error:
            raise AuthenticationFailed(
                NAME, N_("UserCustomer refused the bot's login: %(reason)s"), reason=error.reason
            ) from error
        token = result.get("token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponse(NAME, N_("UserCustomer's login answered without a token."))
        expires_in = result.get("expires_in")
        expires_at = (
            self._clock() + float(expires_in) - _EXPIRY_MARGIN
            if isinstance(expires_in, int | float)
            else None
        )
        return _Token(token, expires_at)


def _key_body(key: RelationKey) -> dict[str, Any]:
    return {"user_id": str(key.user_id), "customer_id": str(key.customer_id)}


def _optional_texts(
    template: str | None, script: str | None, reference: str | None
) -> dict[str, str]:
    given = {"template": template, "script": script, "reference": reference}
    return {name: value for name, value in given.items() if value is not None}


_REFUSED = N_("UserCustomer refused: %(reason)s")
# Refusals the team meets every day: explained in English, as written in Chinese (where the
# catalog gives them the backend's own words back).
_REFUSALS = {
    "授权码错误": N_("UserCustomer refused: %(reason)s (the authorization code is wrong)"),
    "记录不存在": N_("UserCustomer refused: %(reason)s (there is no such record)"),
    "已存在": N_("UserCustomer refused: %(reason)s (the relation already exists)"),
}


def _verdict(status: int, body: Any, *, write: bool) -> Any:
    """Failure is `code: 500` in the body, whatever the HTTP status."""
    if isinstance(body, dict) and "code" in body:
        if str(body["code"]) == "200":
            return body.get("result")
        reason = str(body.get("msg") or f"code {body['code']}")
        raise BackendRejected(NAME, _REFUSALS.get(reason, _REFUSED), reason)
    raise unrecognized_answer(
        NAME, status, write=write, what=N_("UserCustomer sent an answer without a code.")
    )


def _page(result: Any) -> RelationPage:
    try:
        return RelationPage.model_validate(result)
    except ValidationError as error:
        raise MalformedResponse(NAME, N_("UserCustomer sent a page it cannot read.")) from error
