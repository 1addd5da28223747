"""`/binding` listeners: parse, authorise, call the bangwo8 API, reply."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.views import View

from bot.blocks.common import Block, escape, fallback_text, mrkdwn_text, notice
from bot.blocks.help import BINDING_EXAMPLES, BINDING_GRAMMAR
from bot.blocks.modals import loading_modal, message_modal
from bot.clients.errors import BackendError
from bot.deletions import current_records, digest
from bot.i18n import N_, SOURCE_LANGUAGE, Messages, messages
from bot.models import Binding, BindingKey, BindingQuery, NewBinding
from bot.records import BindingDeletion
from bot.roles import Role
from handlers.bindings import cards, payloads
from handlers.bindings import views as ui
from handlers.bindings.grammar import (
    AddNow,
    BindingCommand,
    Lookup,
    OpenEditModal,
    PreviewDelete,
    lookup_text,
    parse_binding_command,
    read_add_form,
    read_edit_form,
    target_of,
)
from handlers.bindings.payloads import EditForm, LookupValue, MenuChoice
from handlers.bindings.views import added, first_line, loading, saved
from handlers.common import FeatureHandlers, Form, Requires, open_then_fill, show_audit
from handlers.context import Invocation
from handlers.modals import ModalOutcome, Shown
from handlers.words import Help, OpenAddModal, ShowAudit, view_values

log = logging.getLogger("handlers.bindings")
FEATURE = "binding"
_NEEDS = {
    Lookup: Requires(Role.VIEWER, N_("look up bindings")),
    OpenAddModal: Requires(Role.EDITOR, N_("add bindings")),
    AddNow: Requires(Role.EDITOR, N_("add bindings")),
    OpenEditModal: Requires(Role.EDITOR, N_("edit bindings")),
    PreviewDelete: Requires(Role.EDITOR, N_("delete bindings")),
    ShowAudit: Requires(Role.APPROVER, N_("read the audit log")),
}
_ADD_FORM = Form(N_("Add binding"), Requires(Role.EDITOR, N_("add bindings"), action="add"))
_EDIT_FORM = Form(N_("Edit binding"), Requires(Role.EDITOR, N_("edit bindings"), action="edit"))


# ---- listeners ------------------------------------------------------------------------------


class BindingHandlers(FeatureHandlers[BindingCommand]):
    feature = FEATURE
    command = "/binding"
    grammar = BINDING_GRAMMAR
    examples = BINDING_EXAMPLES
    needs = _NEEDS

    def parse(self, text: str) -> BindingCommand:
        return parse_binding_command(text)

    def placeholder(self, t: Messages, parsed: BindingCommand) -> list[Block] | None:
        return cards.lookup_placeholder(t, parsed.query) if isinstance(parsed, Lookup) else None

    def target(self, parsed: BindingCommand) -> str:
        return target_of(parsed)

    def register(self, app: AsyncApp) -> None:
        app.command("/binding")(self.on_command)
        app.action(payloads.MENU_ACTION)(self.on_menu)
        app.action(payloads.LOOKUP_ACTION)(self.on_lookup)
        app.action(payloads.SHARE_ACTION)(self.on_share)
        app.action(payloads.DISMISS_ACTION)(self.on_dismiss)
        app.view(payloads.ADD_CALLBACK)(self.on_add_submitted)
        app.view(payloads.EDIT_CALLBACK)(self.on_edit_submitted)

    async def on_menu(self, action: dict[str, Any], here: Invocation) -> None:
        """A binding's menu (an option) and Edit it (a button): edit or delete the binding."""
        await here.ack()
        value = (action.get("selected_option") or {}).get("value") or action.get("value")
        await self.authorized_run(MenuChoice.decode(value).command, here)

    async def on_lookup(self, action: dict[str, Any], here: Invocation) -> None:
        """Retry, Look it up and Check now: the lookup their value names."""
        await here.ack()
        await self.authorized_run(LookupValue.decode(action.get("value")).lookup, here)

    async def on_share(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        parsed = LookupValue.decode(action.get("value")).lookup
        if not await self.authorized(parsed, here):
            return
        await self.lookup(parsed.query, await self.reader(here), shared=True)
        await here.respond(delete_original=True)

    async def run(self, parsed: BindingCommand, here: Invocation) -> None:
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
        blocks = cards.lookup_message(
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
            extra={"user": here.user, "query": lookup_text(query), "failed_sources": failed},
        )
        await here.respond(
            text=fallback_text(cards.lookup_summary(here.t, query, results)),
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
            cards.write_failed(here.t, result, binding.key, here.ref)
            if isinstance(result, BackendError)
            else result
        )
        await here.respond(
            text=mrkdwn_text(first_line(blocks)), blocks=blocks, replace_original=False
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
        return cards.write_done(t, added(t, binding), key, ref, interactive=interactive)

    async def on_add_submitted(self, view: dict[str, Any], here: Invocation) -> None:
        values = view_values(view)
        user, ref, t = here.user, here.ref, here.t
        binding, errors = read_add_form(t, values)
        if binding is None:
            await here.ack(response_action="errors", errors=errors)
            return

        async def outcome() -> ModalOutcome:
            result = await self._add(t, binding, user, ref, interactive=False)
            if not isinstance(result, BackendError):
                return Shown(message_modal(t, t(_ADD_FORM.title), result))
            return ui.add_refused(t, result, binding.key, values, ref)

        await self.submit(here, view, _ADD_FORM, binding.key.args, outcome)

    # ---- edit ----

    async def open_edit_modal(self, key: BindingKey, here: Invocation) -> None:
        t = here.t
        title = t(_EDIT_FORM.title)

        def fill(binding: Binding | None) -> View:
            if binding is None:
                return message_modal(t, title, cards.missing_binding(t, key, here.ref))
            return ui.edit_modal(t, EditForm.of(binding), binding=binding)

        loading_view = loading_modal(t, title, loading(t, key))
        await open_then_fill(here, title, loading_view, lambda: self.deps.bindings.get(key), fill)

    async def on_edit_submitted(self, view: dict[str, Any], here: Invocation) -> None:
        shown = EditForm.decode(view.get("private_metadata"))
        values = view_values(view)
        user, ref, t = here.user, here.ref, here.t
        change, errors = read_edit_form(t, values, shown.key, shown.changed)
        if change is None:
            await here.ack(response_action="errors", errors=errors)
            return
        key = shown.key

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.bindings.change(change)
            except BackendError as error:
                await self.audit_write("edit", key.args, user, error)
                return ui.edit_refused(t, error, shown, values, ref)
            detail = ui.changes(messages(SOURCE_LANGUAGE), change, str)
            await self.audit_write("edit", key.args, user, None, detail=detail)
            blocks = cards.write_done(t, saved(t, change), key, ref, interactive=False)
            return Shown(message_modal(t, t(_EDIT_FORM.title), blocks))

        await self.submit(here, view, _EDIT_FORM, key.args, outcome)

    # ---- delete preview ----

    async def preview_delete(self, key: BindingKey, here: Invocation) -> None:
        t = here.t
        try:
            records = await current_records(BindingDeletion(key), self.deps.backends)
        except BackendError as error:
            blocks = notice(t, f":x: {escape(error.say(t))}", here.ref)
        else:
            blocks = (
                cards.delete_preview(
                    t,
                    Binding.model_validate(records[0]),
                    fingerprint=digest(records),
                    correlation_id=here.ref,
                )
                if records
                else cards.missing_binding(t, key, here.ref)
            )
        await here.respond(
            text=fallback_text(t("Delete preview")), blocks=blocks, replace_original=False
        )

    async def show_audit(self, limit: int, here: Invocation) -> None:
        await show_audit(self.deps, FEATURE, limit, here, here.ref)
