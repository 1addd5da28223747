"""Typed records shared by the clients, the Block Kit builders and the handlers."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator


class AccountSource(StrEnum):
    """Where a bound third-party account lives; the value is what bangwo8 expects."""

    DINGDING = "dingding"
    WECHAT = "wechat"
    WORK_WECHAT = "workWechat"
    OPEN = "open"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> AccountSource | None:
        return _SOURCE_ALIASES.get(text.strip().lower())


_SOURCE_LABELS = {
    AccountSource.DINGDING: "DingTalk",
    AccountSource.WECHAT: "WeChat",
    AccountSource.WORK_WECHAT: "WeCom",
    AccountSource.OPEN: "Open platform",
}

_SOURCE_ALIASES = {
    "dingding": AccountSource.DINGDING,
    "dingtalk": AccountSource.DINGDING,
    "dd": AccountSource.DINGDING,
    "wechat": AccountSource.WECHAT,
    "wx": AccountSource.WECHAT,
    "workwechat": AccountSource.WORK_WECHAT,
    "wecom": AccountSource.WORK_WECHAT,
    "wxwork": AccountSource.WORK_WECHAT,
    "open": AccountSource.OPEN,
}

SOURCE_ALIASES_HELP = "dingding|dingtalk|dd, wechat|wx, workwechat|wecom|wxwork, open"


def _blank_if_none(value: Any) -> Any:
    return "" if value is None else value


class Binding(BaseModel):
    """One row of bangwo8's binding query; bangwo8 sends every value as a string."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)

    aid: int | None = Field(default=None, validation_alias=AliasChoices("aId", "aid"))
    cid: int = Field(validation_alias=AliasChoices("cId", "cid"))
    account: str = ""
    remark: str = ""
    template_id: str = Field(default="", validation_alias=AliasChoices("templateId", "template_id"))
    open_id: str = Field(validation_alias=AliasChoices("openId", "open_id"))
    app_id: str = Field(default="", validation_alias=AliasChoices("appId", "app_id"))
    source: AccountSource = Field(validation_alias=AliasChoices("account_source", "source"))

    @field_validator("aid", mode="before")
    @classmethod
    def _empty_aid(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @field_validator("account", "remark", "template_id", "app_id", "open_id", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        value = _blank_if_none(value)
        return str(value) if isinstance(value, int) else value

    @property
    def key(self) -> BindingKey:
        return BindingKey(cid=self.cid, source=self.source)


class BindingKey(BaseModel):
    """What identifies a binding: one per contact and source."""

    model_config = ConfigDict(frozen=True)

    cid: int = Field(gt=0)
    source: AccountSource


class NewBinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    cid: int = Field(gt=0)
    source: AccountSource
    open_id: str = Field(min_length=1)
    app_id: str = ""


class BindingChange(BaseModel):
    """An edit: fields left as None are not sent, so bangwo8 keeps them."""

    model_config = ConfigDict(frozen=True)

    cid: int = Field(gt=0)
    source: AccountSource
    open_id: str | None = None
    app_id: str | None = None


class BindingQuery(BaseModel):
    """A lookup: by contact or by third-party account, over one or more sources."""

    model_config = ConfigDict(frozen=True)

    cid: int | None = Field(default=None, gt=0)
    open_id: str | None = None
    sources: tuple[AccountSource, ...] = tuple(AccountSource)

    def narrowed_to(self, source: AccountSource) -> BindingQuery:
        return self.model_copy(update={"sources": (source,)})

    @property
    def command_text(self) -> str:
        """The `/binding` arguments that repeat this lookup (button values carry them)."""
        subject = str(self.cid) if self.cid is not None else f"openid {self.open_id}"
        if len(self.sources) == 1:
            return f"{subject} {self.sources[0].value}"
        return subject


def fingerprint(records: list[dict[str, Any]]) -> str:
    """A short digest of records as shown, to notice whether they changed since."""
    canonical = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
