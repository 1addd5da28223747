"""Typed records shared by the clients, the Block Kit builders and the handlers."""

from __future__ import annotations

import hashlib
import json
import re
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from slack_sdk.models.blocks import ButtonElement

from bot.i18n import N_
from bot.wire import WireValue


class AccountSource(StrEnum):
    """Where a bound third-party account lives; the value is what bangwo8 expects."""

    DINGDING = "dingding"
    WECHAT = "wechat"
    WORK_WECHAT = "workWechat"
    OPEN = "open"

    @property
    def label(self) -> str:
        return _SOURCE_LABELS[self]

    @property
    def word(self) -> str:
        """The name help gives and people type (`workwechat`); bangwo8's is `value`."""
        return self.value.lower()

    @classmethod
    def parse(cls, text: str) -> AccountSource | None:
        return _SOURCE_ALIASES.get(text.strip().lower())


# English names, marked for the catalogs: a view shows `t(source.label)`.
_SOURCE_LABELS = {
    AccountSource.DINGDING: N_("DingTalk"),
    AccountSource.WECHAT: N_("WeChat"),
    AccountSource.WORK_WECHAT: N_("WeCom"),
    AccountSource.OPEN: N_("Open platform"),
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
    # The names the team says them by.
    "钉钉": AccountSource.DINGDING,
    "微信": AccountSource.WECHAT,
    "企业微信": AccountSource.WORK_WECHAT,
    "开放平台": AccountSource.OPEN,
}

SOURCE_ALIASES_HELP = ", ".join(
    "|".join(alias for alias, named in _SOURCE_ALIASES.items() if named is source)
    for source in AccountSource
)


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

    @property
    def args(self) -> str:
        """How `/binding edit|delete` and button values name it: `30851821 wechat`."""
        return f"{self.cid} {self.source.word}"


class NewBinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    cid: int = Field(gt=0)
    source: AccountSource
    open_id: str = Field(min_length=1)
    app_id: str = ""

    @property
    def key(self) -> BindingKey:
        return BindingKey(cid=self.cid, source=self.source)


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


def fingerprint(records: list[dict[str, Any]]) -> str:
    """A short digest of records as shown, to notice whether they changed since."""
    canonical = json.dumps(records, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


# ---- UserCustomer relations ----------------------------------------------------------------


class Relation(BaseModel):
    """A user following a customer. UserCustomer sends ids as ints; strings are accepted too."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    customer_id: int
    template: str | None = None
    script: str | None = None
    reference: str = ""
    created: str = ""
    is_available: int | None = None
    boss_sync: int | None = None

    @field_validator("reference", "created", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _blank_if_none(value)

    @property
    def key(self) -> RelationKey:
        return RelationKey(user_id=self.user_id, customer_id=self.customer_id)


class RelationKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int = Field(gt=0)
    customer_id: int = Field(gt=0)


class RelationPage(BaseModel):
    model_config = ConfigDict(frozen=True)

    page_index: int = 1
    page_size: int = 20
    total_pages: int = 0
    total_records: int = 0
    data: list[Relation] = Field(default_factory=list)


class RelationField(StrEnum):
    USER_ID = "user_id"
    CUSTOMER_ID = "customer_id"
    REFERENCE = "reference"
    TEMPLATE = "template"
    SCRIPT = "script"
    IS_AVAILABLE = "is_available"
    BOSS_SYNC = "boss_sync"


class Operator(StrEnum):
    EQ = "="
    NE = "!="
    GT = ">"
    LT = "<"
    GE = ">="
    LE = "<="
    LIKE = "like"


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: RelationField
    op: Operator
    value: str

    def triple(self) -> list[str]:
        return [self.field.value, self.op.value, self.value]


class RelationQuery(BaseModel):
    """`get_list` arguments: conditions, a creation-time range and a page."""

    model_config = ConfigDict(frozen=True)

    conditions: tuple[Condition, ...] = ()
    start_time: str | None = None
    end_time: str | None = None
    page: int = Field(default=1, gt=0)
    size: int = Field(default=20, gt=0)


class NewRelation(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int = Field(gt=0)
    customer_id: int = Field(gt=0)
    secret: str = Field(min_length=1)
    template: str | None = None
    script: str | None = None
    reference: str | None = None


class RelationChange(BaseModel):
    """An edit: fields left as None are not sent."""

    model_config = ConfigDict(frozen=True)

    user_id: int = Field(gt=0)
    customer_id: int = Field(gt=0)
    template: str | None = None
    script: str | None = None
    reference: str | None = None


class RelationSelection(WireValue):
    """Relations picked for deletion, grouped by user. Written `998:1001,1002;999:1003` in
    button values (Delete selected, a preview's Delete and Cancel) and in approval requests."""

    # A button's value; at most a page of relations, so never near it.
    limit: ClassVar[int] = ButtonElement.value_max_length

    by_user: dict[int, tuple[int, ...]]

    @classmethod
    def of(cls, keys: list[RelationKey]) -> RelationSelection:
        grouped: dict[int, list[int]] = {}
        for key in keys:
            customers = grouped.setdefault(key.user_id, [])
            if key.customer_id not in customers:
                customers.append(key.customer_id)
        return cls(by_user={user: tuple(customers) for user, customers in grouped.items()})

    @classmethod
    def read(cls, text: str) -> dict[str, Any]:
        keys = []
        for group in filter(None, text.split(";")):
            user, _, customers = group.partition(":")
            keys += [
                RelationKey(user_id=_id(user), customer_id=_id(customer))
                for customer in customers.split(",")
                if customer
            ]
        if not keys:
            raise ValueError("no relations selected")
        return {"by_user": cls.of(keys).by_user}

    def write(self) -> str:
        return ";".join(
            f"{user}:{','.join(str(c) for c in customers)}"
            for user, customers in self.by_user.items()
        )

    @property
    def keys(self) -> list[RelationKey]:
        return [
            RelationKey(user_id=user, customer_id=customer)
            for user, customers in self.by_user.items()
            for customer in customers
        ]


_ID = re.compile(r"[0-9]{1,18}")


def _id(text: str) -> int:
    """An id as written: ASCII digits only (`int()` also takes ` 1`, `1_0` and `١`)."""
    if not _ID.fullmatch(text):
        raise ValueError("not an id")
    return int(text)
