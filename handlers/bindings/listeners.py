"""`/binding`: look up, add, edit and preview deletes of bangwo8 bindings."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks import bindings as ui
from bot.blocks.common import (
    code,
    escape,
    fallback_text,
    loading_modal,
    message_modal,
    mrkdwn_text,
    notice,
)
from bot.blocks.help import BINDING_EXAMPLES, BINDING_GRAMMAR
from bot.clients.errors import BackendError
from bot.deletions import current_records
from bot.i18n import N_, SOURCE_LANGUAGE, Messages, messages
from bot.models import (
    AccountSource,
    Binding,
    BindingChange,
    BindingKey,
    BindingQuery,
    NewBinding,
    fingerprint,
)
from bot.records import BindingDeletion
from bot.roles import Role
from handlers.common import (
    MAX_ID_DIGITS,
    FeatureHandlers,
    Help,
    Invocation,
    OpenAddModal,
    ShowAudit,
    UsageError,
    as_positive_int,
    invocation_of,
    positive_int,
    show_audit,
    too_large,
    view_values,
    words_of,
)
from handlers.modals import ModalOutcome, Shown, answer_submission

log = logging.getLogger("handlers.bindings")
FEATURE = "binding"
# Lookups travel in button values (Share, Retry), which Slack caps at 2000 characters.
MAX_OPEN_ID = 200


# ---- grammar --------------------------------------------------------------------------------


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

_NEEDS: dict[type, tuple[Role, str]] = {
    Lookup: (Role.VIEWER, N_("look up bindings")),
    OpenAddModal: (Role.EDITOR, N_("add bindings")),
    AddNow: (Role.EDITOR, N_("add bindings")),
    OpenEditModal: (Role.EDITOR, N_("edit bindings")),
    PreviewDelete: (Role.EDITOR, N_("delete bindings")),
    ShowAudit: (Role.APPROVER, N_("read the audit log")),
}


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


# ---- listeners ------------------------------------------------------------------------------


class BindingHandlers(FeatureHandlers):
    feature = FEATURE
    command = "/binding"
    grammar = BINDING_GRAMMAR
    examples = BINDING_EXAMPLES
    needs = _NEEDS

    def parse(self, text: str) -> BindingCommand:
        return parse_binding_command(text)

    def placeholder(self, t: Messages, parsed: object) -> list[Block] | None:
        return ui.lookup_placeholder(t, parsed.query) if isinstance(parsed, Lookup) else None

    def target(self, parsed: object) -> str:
        return _target(parsed)

    def register(self, app: AsyncApp) -> None:
        app.command("/binding")(self.on_command)
        # Menus and buttons both carry `/binding` arguments; one listener runs them.
        app.action(ui.MENU_ACTION)(self.on_command_value)
        app.action(ui.LOOKUP_ACTION)(self.on_command_value)
        app.action(ui.SHARE_ACTION)(self.on_share)
        app.action(ui.DISMISS_ACTION)(self.on_dismiss)
        app.view(ui.ADD_CALLBACK)(self.on_add_submitted)
        app.view(ui.EDIT_CALLBACK)(self.on_edit_submitted)

    async def on_command_value(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        value = action.get("selected_option", {}).get("value") or action.get("value", "")
        await self._from_button(value, body, respond, client, context)

    async def on_share(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        await ack()
        here = invocation_of(body, respond, client, context)
        parsed = parse_binding_command(action.get("value", ""))
        if not isinstance(parsed, Lookup) or not await self.authorized(parsed, here):
            return
        await self.lookup(parsed.query, await self.reader(here), shared=True)
        await respond(delete_original=True)

    async def _from_button(
        self,
        value: str,
        body: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        here = invocation_of(body, respond, client, context)
        parsed = parse_binding_command(value)
        if isinstance(parsed, Help):
            log.warning("unreadable button value", extra={"value": value})
            return
        if await self.authorized(parsed, here):
            await self.run(parsed, here)

    async def run(self, parsed: object, here: Invocation) -> None:
        here = await self.reader(here)
        match parsed:
            case Lookup(query):
                await self.lookup(query, here)
            case OpenAddModal():
                await self.open_add_modal(here)
            case AddNow(binding):
                await self.add_now(binding, here)
            case OpenEditModal(key):
                await self.open_edit_modal(key, here)
            case PreviewDelete(key):
                await self.preview_delete(key, here)
            case ShowAudit(limit):
                await self.show_audit(limit, here)
            case Help():
                raise AssertionError("help is answered in the ack")

    # ---- lookups ----

    async def lookup(self, query: BindingQuery, here: Invocation, *, shared: bool = False) -> None:
        started = time.perf_counter()
        results = await self.deps.bindings.lookup_sources(
            query.sources, cid=query.cid, open_id=query.open_id
        )
        blocks = ui.lookup_message(
            here.t,
            query,
            results,
            correlation_id=here.ref,
            elapsed=time.perf_counter() - started,
            shared_by=here.user if shared else None,
        )
        failed = [
            source.value for source, outcome in results.items() if isinstance(outcome, BackendError)
        ]
        log.info(
            "lookup",
            extra={"user": here.user, "query": query.command_text, "failed_sources": failed},
        )
        await here.respond(
            text=fallback_text(ui.lookup_summary(here.t, query, results)),
            blocks=blocks,
            response_type="in_channel" if shared else "ephemeral",
            replace_original=here.in_place and not shared,
        )

    # ---- add ----

    async def open_add_modal(self, here: Invocation) -> None:
        await here.client.views_open(
            trigger_id=here.trigger_id,
            view=ui.add_modal(here.t),
        )

    async def add_now(self, binding: NewBinding, here: Invocation) -> None:
        result = await self._add(here.t, binding, here.user, here.ref)
        blocks = (
            ui.write_failed(here.t, result, binding.key, here.ref)
            if isinstance(result, BackendError)
            else result
        )
        await here.respond(
            text=mrkdwn_text(_first_line(blocks)), blocks=blocks, replace_original=False
        )

    async def _add(
        self, t: Messages, binding: NewBinding, user: str, ref: str, *, interactive: bool = True
    ) -> list[Block] | BackendError:
        """The result blocks, or the refusal (audited either way)."""
        key = binding.key
        try:
            await self.deps.bindings.add(binding)
        except BackendError as error:
            await self.audit_write("add", key.args, user, error)
            return error
        await self.audit_write("add", key.args, user, None, detail=ui.added_detail(binding))
        params = {
            "cid": code(binding.cid),
            "source": escape(t(binding.source.label)),
            "open_id": code(binding.open_id),
        }
        sentence = (
            t(
                "Contact %(cid)s is now bound to %(source)s openId %(open_id)s "
                "with appId %(app_id)s.",
                app_id=code(binding.app_id),
                **params,
            )
            if binding.app_id
            else t("Contact %(cid)s is now bound to %(source)s openId %(open_id)s.", **params)
        )
        return ui.write_done(t, sentence, key, ref, interactive=interactive)

    async def on_add_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        values = view_values(view)
        user = body["user"]["id"]
        t = self.deps.locales.known(user)
        binding, errors = read_add_form(t, values)
        if binding is None:
            await ack(response_action="errors", errors=errors)
            return
        ref = context["correlation_id"]
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="add",
            what=N_("add bindings"),
            title=N_("Add binding"),
            target=binding.key.args,
            ref=ref,
        ):
            return

        async def outcome() -> ModalOutcome:
            result = await self._add(t, binding, user, ref, interactive=False)
            if not isinstance(result, BackendError):
                return Shown(message_modal(t, t("Add binding"), result))
            return ui.add_refused(t, result, binding.key, values, ref)

        submission = self.submission(ack, client, view, ref, t("Add binding"), t)
        await answer_submission(submission, outcome())

    # ---- edit ----

    async def open_edit_modal(self, key: BindingKey, here: Invocation) -> None:
        # trigger_id dies 3 s after the click: open first, fetch after.
        t = here.t
        title = t("Edit binding")
        opened = await here.client.views_open(
            trigger_id=here.trigger_id,
            view=loading_modal(
                t,
                title,
                t(
                    "Loading the %(source)s binding of contact %(cid)s…",
                    source=escape(t(key.source.label)),
                    cid=code(key.cid),
                ),
            ),
        )
        try:
            binding = await self.deps.bindings.get(key)
        except BackendError as error:
            view = message_modal(t, title, notice(t, f":x: {escape(error.say(t))}", here.ref))
        else:
            if binding is None:
                view = message_modal(t, title, ui.missing_binding(t, key, here.ref))
            else:
                view = ui.edit_modal(t, ui.EditForm.of(binding), binding=binding)
        await here.client.views_update(
            view_id=opened["view"]["id"], hash=opened["view"]["hash"], view=view
        )

    async def on_edit_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        values = view_values(view)
        shown = ui.EditForm.model_validate_json(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        t = self.deps.locales.known(user)
        change, errors = read_edit_form(t, values, shown)
        if change is None:
            await ack(response_action="errors", errors=errors)
            return
        key = shown.key
        ref = context["correlation_id"]
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="edit",
            what=N_("edit bindings"),
            title=N_("Edit binding"),
            target=key.args,
            ref=ref,
        ):
            return

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.bindings.change(change)
            except BackendError as error:
                await self.audit_write("edit", key.args, user, error)
                return ui.edit_refused(t, error, shown, values, ref)
            detail = ui.changes(messages(SOURCE_LANGUAGE), change, str)
            await self.audit_write("edit", key.args, user, None, detail=detail)
            sentence = t(
                "Saved the %(source)s binding of contact %(cid)s: %(changes)s.",
                source=escape(t(key.source.label)),
                cid=code(key.cid),
                changes=ui.changes(t, change),
            )
            blocks = ui.write_done(t, sentence, key, ref, interactive=False)
            return Shown(message_modal(t, t("Edit binding"), blocks))

        submission = self.submission(ack, client, view, ref, t("Edit binding"), t)
        await answer_submission(submission, outcome())

    # ---- delete preview ----

    async def preview_delete(self, key: BindingKey, here: Invocation) -> None:
        t = here.t
        try:
            records = await current_records(BindingDeletion(key), self.deps.backends)
        except BackendError as error:
            blocks = notice(t, f":x: {escape(error.say(t))}", here.ref)
        else:
            blocks = (
                ui.delete_preview(
                    t,
                    Binding.model_validate(records[0]),
                    fingerprint=fingerprint(records),
                    correlation_id=here.ref,
                )
                if records
                else ui.missing_binding(t, key, here.ref)
            )
        await here.respond(
            text=fallback_text(t("Delete preview")), blocks=blocks, replace_original=False
        )

    async def show_audit(self, limit: int, here: Invocation) -> None:
        await show_audit(self.deps, FEATURE, limit, here, here.ref)


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
    t: Messages, values: dict[str, str | None], shown: ui.EditForm
) -> tuple[BindingChange | None, dict[str, str]]:
    """The change to send: only the fields that differ from what the form showed."""
    open_id, app_id = values.get("open_id") or "", values.get("app_id") or ""
    if not open_id:
        return None, {"open_id": t("Enter the openId of the third-party account.")}
    new_open_id = open_id if shown.changed("open_id", open_id) else None
    new_app_id = app_id if shown.changed("app_id", app_id) else None
    if new_open_id is None and new_app_id is None:
        return None, {"open_id": t("Nothing changed: edit the openId or appId, or press Cancel.")}
    return BindingChange(
        cid=shown.cid, source=shown.source, open_id=new_open_id, app_id=new_app_id
    ), {}


def _target(parsed: object) -> str:
    match parsed:
        case Lookup(query):
            return query.command_text
        case AddNow(binding):
            return binding.key.args
        case OpenEditModal(key) | PreviewDelete(key):
            return key.args
    return ""


def _first_line(blocks: list[Any]) -> str:
    text = getattr(getattr(blocks[0], "text", None), "text", "") if blocks else ""
    return str(text).split("\n")[0]
