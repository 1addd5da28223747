"""Async client for bangwo8's binding API (`/api/v1/user/relationship/cid.json`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from pydantic import ValidationError

from bot.clients.errors import (
    AlreadyBound,
    BackendError,
    BackendRejected,
    ContactNotFound,
    MalformedResponse,
    RecordNotFound,
)
from bot.clients.http import JsonHttp, unrecognized_answer
from bot.i18n import N_
from bot.models import AccountSource, Binding, BindingChange, BindingKey, NewBinding
from bot.records import BindingsBySource

PATH = "/api/v1/user/relationship/cid.json"
NAME = "bangwo8"


class BindingsClient:
    """Look up, add, change and delete bindings between a contact and third-party accounts."""

    def __init__(
        self,
        base_url: str,
        auth: httpx.Auth,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        **limits: Any,
    ) -> None:
        self._http = JsonHttp(
            name=NAME, base_url=base_url, auth=auth, timeout=timeout, transport=transport, **limits
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def lookup(
        self, source: AccountSource, *, cid: int | None = None, open_id: str | None = None
    ) -> list[Binding]:
        if cid is None and open_id is None:
            raise ValueError("bangwo8 needs a cId or an openId")
        params: dict[str, str | int] = {"account_source": source.value}
        if cid is not None:
            params["cId"] = cid
        if open_id is not None:
            params["openId"] = open_id
        status, body = await self._http.send("GET", PATH, write=False, params=params)
        data = _verdict(status, body, write=False)
        if not isinstance(data, list):
            raise MalformedResponse(
                NAME, N_("bangwo8 sent a lookup answer without a list of rows.")
            )
        try:
            return [Binding.model_validate(row) for row in data]
        except ValidationError as error:
            raise MalformedResponse(
                NAME, N_("bangwo8 sent a binding row it cannot read.")
            ) from error

    async def lookup_sources(
        self,
        sources: Iterable[AccountSource],
        *,
        cid: int | None = None,
        open_id: str | None = None,
    ) -> BindingsBySource:
        """Query several sources at once; a failing source is reported, not fatal."""
        chosen = list(sources)
        outcomes = await asyncio.gather(
            *(self.lookup(source, cid=cid, open_id=open_id) for source in chosen),
            return_exceptions=True,
        )
        results: BindingsBySource = {}
        for source, outcome in zip(chosen, outcomes, strict=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, BackendError):
                raise outcome
            results[source] = outcome
        return results

    async def get(self, key: BindingKey) -> Binding | None:
        rows = await self.lookup(key.source, cid=key.cid)
        return next((row for row in rows if row.source == key.source), None)

    async def add(self, binding: NewBinding) -> None:
        body: dict[str, Any] = {
            "cId": binding.cid,
            "openId": binding.open_id,
            "account_source": binding.source.value,
        }
        if binding.app_id:
            body["appId"] = binding.app_id
        await self._write("POST", json=body)

    async def change(self, change: BindingChange) -> None:
        body: dict[str, Any] = {"cId": change.cid, "account_source": change.source.value}
        if change.open_id is not None:
            body["openId"] = change.open_id
        if change.app_id is not None:
            body["appId"] = change.app_id
        await self._write("PUT", json=body)

    async def delete(self, key: BindingKey) -> None:
        # bangwo8 documents DELETE with its parameters in the query string and this content type.
        await self._write(
            "DELETE",
            params={"cId": key.cid, "account_source": key.source.value},
            headers={"Content-Type": "multipart/form-data"},
        )

    async def _write(self, method: str, **kwargs: Any) -> None:
        headers = {**kwargs.pop("headers", {}), "Requestid": uuid.uuid4().hex}
        status, body = await self._http.send(method, PATH, write=True, headers=headers, **kwargs)
        _verdict(status, body, write=True)


def _verdict(status: int, body: Any, *, write: bool) -> Any:
    """bangwo8 reports failure in the body (`state`), whatever the HTTP status says."""
    if isinstance(body, dict) and "state" in body and str(body["state"]) != "200":
        raise _rejection(str(body.get("message") or body.get("msg") or "unknown error"))
    if isinstance(body, dict) and "data" in body:
        return body["data"]
    raise unrecognized_answer(
        NAME, status, write=write, what=N_("bangwo8 sent an answer without data or state.")
    )


def _rejection(message: str) -> BackendRejected:
    normalized = message.strip().lower()
    if normalized == "user error":
        return ContactNotFound(
            NAME, N_("That contact does not exist in bangwo8 (bangwo8: %(reason)s)."), message
        )
    if normalized == "bind already exists":
        return AlreadyBound(
            NAME,
            N_("That contact is already bound for this source (bangwo8: %(reason)s)."),
            message,
        )
    if "not exist" in normalized:
        return RecordNotFound(
            NAME, N_("There is no such binding in bangwo8 (bangwo8: %(reason)s)."), message
        )
    return BackendRejected(NAME, N_("bangwo8 refused: %(reason)s"), message)
