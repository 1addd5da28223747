"""`/uc` listeners: parse, authorise, call the UserCustomer API, reply."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import Block

from bot.blocks import user_customer as ui
from bot.blocks.common import escape, fallback_text, notice
from bot.blocks.help import UC_EXAMPLES, UC_GRAMMAR
from bot.clients.errors import BackendError
from bot.i18n import N_, Messages
from bot.models import RelationKey, RelationSelection, fingerprint
from bot.roles import Role
from handlers.common import Requires, show_audit
from handlers.context import Invocation
from handlers.user_customer.forms import RelationForms
from handlers.user_customer.grammar import (
    Follows,
    GetRelation,
    ListRelations,
    Lookup,
    OpenEditModal,
    PageCommand,
    PreviewDelete,
    UcCommand,
    command_text,
    parse_uc_command,
    target_of,
    ticked_keys,
)
from handlers.user_customer.views import listing, looking_up
from handlers.words import Help, OpenAddModal, ShowAudit

log = logging.getLogger("handlers.user_customer")
FEATURE = "uc"

# What each control may send: a value naming anything else was not made by this app.
_LOOKUPS = (ListRelations, Follows, GetRelation)
_PAGES = (ListRelations, Follows)
_MENU = (OpenEditModal, PreviewDelete)
_LOOK = Requires(Role.VIEWER, N_("look up relations"))
_NEEDS = {
    ListRelations: _LOOK,
    Follows: _LOOK,
    GetRelation: _LOOK,
    OpenAddModal: Requires(Role.EDITOR, N_("add relations")),
    OpenEditModal: Requires(Role.EDITOR, N_("edit relations")),
    PreviewDelete: Requires(Role.EDITOR, N_("delete relations")),
    ShowAudit: Requires(Role.APPROVER, N_("read the audit log")),
}


class UserCustomerHandlers(RelationForms):
    feature = FEATURE
    command = "/uc"
    grammar = UC_GRAMMAR
    examples = UC_EXAMPLES
    needs = _NEEDS

    def parse(self, text: str) -> UcCommand:
        return parse_uc_command(text)

    def placeholder(self, t: Messages, parsed: UcCommand) -> list[Block] | None:
        what = looking_up(t, parsed)
        return None if what is None else ui.lookup_placeholder(t, what)

    def target(self, parsed: UcCommand) -> str:
        return target_of(parsed)

    def register(self, app: AsyncApp) -> None:
        app.command("/uc")(self.on_command)
        app.action(ui.MENU_ACTION)(self.on_menu)
        for action_id in (ui.PREVIOUS_ACTION, ui.NEXT_ACTION, ui.RETRY_ACTION):
            app.action(action_id)(self.on_again)
        app.action(re.compile(f"^{re.escape(ui.TICK_ACTION)}:"))(self.on_tick)
        app.action(ui.SHARE_ACTION)(self.on_share)
        app.action(ui.DELETE_SELECTED_ACTION)(self.on_delete_selected)
        app.action(ui.DISMISS_ACTION)(self.on_dismiss)
        app.view(ui.ADD_CALLBACK)(self.on_add_submitted)
        app.view(ui.EDIT_CALLBACK)(self.on_edit_submitted)

    async def on_menu(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        value = (action.get("selected_option") or {}).get("value", "")
        parsed = await self._authorized_value(value, here, _MENU)
        if parsed is not None:
            await self.run(parsed, here)

    async def on_again(
        self, body: dict[str, Any], action: dict[str, Any], here: Invocation
    ) -> None:
        """Previous, Next and Try again: the lookup their value names, in place of the message."""
        await here.ack()
        value = action.get("value", "")
        parsed = await self._authorized_value(value, here, _LOOKUPS)
        if parsed is not None:
            await self._look_again(parsed, body, here)

    async def on_tick(self, body: dict[str, Any], action: dict[str, Any], here: Invocation) -> None:
        """Redraw the page, fetched afresh, so "Delete selected" names what is ticked now."""
        await here.ack()
        command = ui.command_of_row(action.get("block_id") or "")
        if command is None:
            log.warning("tick outside a row", extra={"block_id": action.get("block_id")})
            return
        parsed = await self._authorized_value(command, here, _PAGES)
        if parsed is not None:
            await self._look_again(parsed, body, here)

    async def on_share(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        parsed = parse_uc_command(action.get("value", ""))
        if not isinstance(parsed, _LOOKUPS):
            log.warning("unreadable share value", extra={"value": action.get("value")})
            return
        if await self.authorized(parsed, here) and await self.look(
            parsed, await self.reader(here), shared=True
        ):
            await here.respond(delete_original=True)

    async def on_delete_selected(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        try:
            parsed = PreviewDelete(RelationSelection.parse(action.get("value", "")))
        except ValueError:
            log.warning("unreadable selection", extra={"value": action.get("value")})
            return
        if await self.authorized(parsed, here):
            await self.run(parsed, here)

    async def _authorized_value(
        self, value: str, here: Invocation, accepted: tuple[type, ...]
    ) -> UcCommand | None:
        """The command text a button or menu carries, if it is one this control may send and
        the person may run."""
        parsed = parse_uc_command(value)
        if not isinstance(parsed, accepted):
            log.warning("unexpected value", extra={"value": value})
            return None
        return parsed if await self.authorized(parsed, here) else None

    async def _look_again(self, parsed: UcCommand, body: dict[str, Any], here: Invocation) -> None:
        """A lookup redrawn in place; ticks travel with the list, in the message's own state."""
        if not isinstance(parsed, _LOOKUPS):
            return
        ticked = ticked_keys(body.get("state", {}).get("values", {}))
        here = await self.reader(replace(here, in_place=True))
        await self.look(parsed, here, ticked=ticked)

    async def run(self, parsed: UcCommand, here: Invocation) -> None:
        here = await self.reader(here)
        match parsed:
            case ListRelations() | Follows() | GetRelation():
                await self.look(parsed, here)
            case OpenAddModal():
                await self.open_add_modal(here)
            case OpenEditModal(key):
                await self.open_edit_modal(key, here)
            case PreviewDelete(selection):
                await self.preview_delete(selection, here)
            case ShowAudit(limit):
                await show_audit(self.deps, FEATURE, limit, here, here.ref)
            case Help():
                raise AssertionError("help is answered in the ack")

    # ---- lookups ----

    async def look(
        self,
        parsed: Lookup,
        here: Invocation,
        *,
        shared: bool = False,
        ticked: frozenset[RelationKey] = frozenset(),
    ) -> bool:
        """Answer a lookup; False when the backend failed (the person is told why)."""
        try:
            if isinstance(parsed, GetRelation):
                text, blocks = await self._relation(parsed.key, here, shared=shared)
            else:
                text, blocks = await self._page(parsed, here, shared=shared, ticked=ticked)
        except BackendError as error:
            log.info("lookup failed", extra={"user": here.user, "error": type(error).__name__})
            blocks = ui.lookup_failed(here.t, error, command_text(parsed), here.ref)
            await self._reply(here, error.say(here.t), blocks)
            return False
        log.info("lookup", extra={"user": here.user, "query": command_text(parsed)})
        await self._reply(here, text, blocks, shared=shared)
        return True

    async def _page(
        self, parsed: PageCommand, here: Invocation, *, shared: bool, ticked: frozenset[RelationKey]
    ) -> tuple[str, list[Block]]:
        if isinstance(parsed, ListRelations):
            page = await self.deps.relations.list(parsed.query)
        else:
            page = await self.deps.relations.follows(
                parsed.user_id, page=parsed.page, size=parsed.size
            )
        blocks = ui.list_message(
            here.t,
            listing(here.t, parsed, page),
            page,
            ticked=ticked,
            editable=self.deps.roles.allows(here.user, Role.EDITOR),
            correlation_id=here.ref,
            shared_by=here.user if shared else None,
        )
        return ui.list_summary(here.t, page), blocks

    async def _relation(
        self, key: RelationKey, here: Invocation, *, shared: bool
    ) -> tuple[str, list[Block]]:
        t = here.t
        relation = await self.deps.relations.find(key)
        pair = {"user": key.user_id, "customer": key.customer_id}
        if relation is None:
            return (
                t("No relation between user %(user)s and customer %(customer)s", **pair),
                ui.missing_relation(t, key, here.ref),
            )
        blocks = ui.relation_message(
            t,
            relation,
            command=command_text(GetRelation(key)),
            editable=self.deps.roles.allows(here.user, Role.EDITOR),
            correlation_id=here.ref,
            shared_by=here.user if shared else None,
        )
        return t("The relation between user %(user)s and customer %(customer)s", **pair), blocks

    async def _reply(
        self, here: Invocation, text: str, blocks: list[Block], *, shared: bool = False
    ) -> None:
        await here.respond(
            text=fallback_text(text),
            blocks=blocks,
            response_type="in_channel" if shared else "ephemeral",
            replace_original=here.in_place and not shared,
        )

    # ---- delete preview ----

    async def preview_delete(self, selection: RelationSelection, here: Invocation) -> None:
        keys = selection.keys
        try:
            found = await self.deps.relations.find_many(keys)
        except BackendError as error:
            said = error.say(here.t)
            await self._reply(here, said, notice(here.t, f":x: {escape(said)}", here.ref))
            return
        existing = [relation for key in keys if (relation := found[key]) is not None]
        missing = [key for key in keys if found[key] is None]
        blocks = ui.delete_preview(
            here.t,
            existing,
            missing,
            fingerprint=fingerprint([relation.model_dump(mode="json") for relation in existing]),
            correlation_id=here.ref,
        )
        await self._reply(here, here.t("Delete preview"), blocks)
