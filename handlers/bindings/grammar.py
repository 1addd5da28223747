"""`/binding` grammar: pure functions from command text and form values to typed commands,
and back to text (a lookup's, as buttons carry it; what an audit entry names)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.blocks.common import code
from bot.i18n import N_, Messages
from bot.models import AccountSource, BindingChange, BindingKey, BindingQuery, NewBinding
from handlers.words import (
    MAX_ID_DIGITS,
    Help,
    OpenAddModal,
    ShowAudit,
    UsageError,
    as_positive_int,
    positive_int,
    quote,
    too_large,
    words_of,
)

# Lookups travel in button values (Share, Retry), which Slack caps at 2000 characters.
MAX_OPEN_ID = 200


@dataclass(frozen=True)
class Lookup:
    query: BindingQuery


@dataclass(frozen=True)
class AddNow:
    binding: NewBinding


@dataclass(frozen=True)
class OpenEditModal:
    key: BindingKey


@dataclass(frozen=True)
class PreviewDelete:
    key: BindingKey


BindingCommand = Help | Lookup | OpenAddModal | AddNow | OpenEditModal | PreviewDelete | ShowAudit


_CONTACT_ID = N_("The contact id")


def parse_source(text: str) -> AccountSource:
    source = AccountSource.parse(text)
    if source is None:
        raise UsageError(
            N_("%(word)s is not a source; use dingding, wechat, workwechat or open (or an alias)."),
            word=code(text),
        )
    return source


def _key(words: list[str], verb: str) -> BindingKey:
    if len(words) != 2:
        raise UsageError(
            N_("%(verb)s takes a contact id and a source, e.g. %(example)s."),
            verb=f"`{verb}`",
            example=f"`/binding {verb} 30851821 wechat`",
        )
    return BindingKey(cid=positive_int(words[0], _CONTACT_ID), source=parse_source(words[1]))


def _sources(words: list[str]) -> tuple[AccountSource, ...]:
    if len(words) > 1:
        raise UsageError(N_("Too many words: %(words)s."), words=code(" ".join(words)))
    return (parse_source(words[0]),) if words else tuple(AccountSource)


def parse_binding_command(text: str) -> BindingCommand:
    try:
        return _parse(words_of(text))
    except UsageError as problem:
        return Help(problem=problem.text)


def _parse(words: list[str]) -> BindingCommand:
    if not words or words[0].lower() == "help":
        return Help()
    verb, rest = words[0].lower(), words[1:]
    if verb == "openid":
        if not rest:
            raise UsageError(
                N_("%(verb)s needs the third-party account id, e.g. %(example)s."),
                verb="`openid`",
                example="`/binding openid 10014850`",
            )
        if len(rest[0]) > MAX_OPEN_ID:
            raise UsageError(
                N_("An openId is at most %(count)s characters long."), count=MAX_OPEN_ID
            )
        return Lookup(BindingQuery(open_id=rest[0], sources=_sources(rest[1:])))
    if verb == "add":
        return _parse_add(rest)
    if verb == "edit":
        return OpenEditModal(_key(rest, "edit"))
    if verb == "delete":
        return PreviewDelete(_key(rest, "delete"))
    if verb == "audit":
        return ShowAudit(positive_int(rest[0], N_("The number of entries")) if rest else 20)
    if words[0][:1].isdigit():
        cid = positive_int(words[0], _CONTACT_ID)
        return Lookup(BindingQuery(cid=cid, sources=_sources(rest)))
    raise UsageError(N_("%(word)s is neither a contact id nor a known word."), word=code(words[0]))


def _parse_add(rest: list[str]) -> BindingCommand:
    if not rest:
        return OpenAddModal()
    if len(rest) not in (3, 4):
        raise UsageError(
            N_(
                "%(verb)s takes a contact id, a source, an openId and an optional appId, "
                "or nothing to open the form."
            ),
            verb="`add`",
        )
    return AddNow(
        NewBinding(
            cid=positive_int(rest[0], _CONTACT_ID),
            source=parse_source(rest[1]),
            open_id=rest[2],
            app_id=rest[3] if len(rest) == 4 else "",
        )
    )


def read_add_form(
    t: Messages, values: dict[str, str | None]
) -> tuple[NewBinding | None, dict[str, str]]:
    errors: dict[str, str] = {}
    cid = as_positive_int(values.get("cid") or "")
    if cid is None:
        errors["cid"] = (
            t(
                "The contact id is too large: ids have at most %(digits)s digits.",
                digits=MAX_ID_DIGITS,
            )
            if too_large(values.get("cid") or "")
            else t("The contact id is a positive whole number, like 30851821.")
        )
    source = AccountSource.parse(values.get("source") or "")
    if source is None:
        errors["source"] = t("Choose DingTalk, WeChat, WeCom or Open platform.")
    if not values.get("open_id"):
        errors["open_id"] = t("Enter the openId of the third-party account.")
    if errors or cid is None or source is None:
        return None, errors
    new = NewBinding(
        cid=cid, source=source, open_id=values["open_id"] or "", app_id=values.get("app_id") or ""
    )
    return new, {}


def read_edit_form(
    t: Messages,
    values: dict[str, str | None],
    key: BindingKey,
    changed: Callable[[Literal["open_id", "app_id"], str], bool],
) -> tuple[BindingChange | None, dict[str, str]]:
    """The change to send: only the fields that differ from what the form showed (`changed`
    says whether a typed value differs)."""
    open_id, app_id = values.get("open_id") or "", values.get("app_id") or ""
    if not open_id:
        return None, {"open_id": t("Enter the openId of the third-party account.")}
    new_open_id = open_id if changed("open_id", open_id) else None
    new_app_id = app_id if changed("app_id", app_id) else None
    if new_open_id is None and new_app_id is None:
        return None, {"open_id": t("Nothing changed: edit the openId or appId, or press Cancel.")}
    return BindingChange(cid=key.cid, source=key.source, open_id=new_open_id, app_id=new_app_id), {}


def lookup_text(query: BindingQuery) -> str:
    """The `/binding` text that repeats a lookup, as `parse_binding_command` reads it back:
    `30851821 wechat`, `openid 10014850`, `openid "o x"`."""
    subject = str(query.cid) if query.cid is not None else f"openid {quote(query.open_id or '')}"
    if len(query.sources) == 1:
        return f"{subject} {query.sources[0].word}"
    return subject


def target_of(parsed: object) -> str:
    match parsed:
        case Lookup(query):
            return lookup_text(query)
        case AddNow(binding):
            return binding.key.args
        case OpenEditModal(key) | PreviewDelete(key):
            return key.args
    return ""
