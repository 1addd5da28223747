"""`/uc` listeners: parse, authorise, call the UserCustomer API, reply."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.common import Block, escape, fallback_text, notice
from bot.blocks.help import USER_CUSTOMER_EXAMPLES, USER_CUSTOMER_GRAMMAR
from bot.clients.errors import BackendError
from bot.i18n import N_, Messages
from bot.models import RelationKey, RelationSelection, fingerprint
from bot.roles import Role
from handlers.common import Requires, show_audit
from handlers.context import Invocation
from handlers.user_customer import payloads
from handlers.user_customer.cards import (
    delete_preview,
    lookup_failed,
    lookup_placeholder,
    missing_relation,
    relation_message,
)
from handlers.user_customer.forms import RelationForms
from handlers.user_customer.grammar import (
    Command,
    Follows,
    GetRelation,
    ListRelations,
    Lookup,
    OpenEditModal,
    PageCommand,
    PreviewDelete,
    command_text,
    parse_command,
    target_of,
)
from handlers.user_customer.listing import list_message, list_summary, listing_of
from handlers.user_customer.payloads import (
    LookupValue,
    MenuChoice,
    RowBlockId,
    pageable,
    ticked_keys,
)
from handlers.user_customer.views import looking_up
from handlers.words import Help, OpenAddModal, ShowAudit

log = logging.getLogger("handlers.user_customer")
FEATURE = "uc"

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
    grammar = USER_CUSTOMER_GRAMMAR
    examples = USER_CUSTOMER_EXAMPLES
    needs = _NEEDS

    def parse(self, text: str) -> Command:
        return pageable(parse_command(text))

    def placeholder(self, t: Messages, parsed: Command) -> list[Block] | None:
        what = looking_up(t, parsed)
        return None if what is None else lookup_placeholder(t, what)

    def target(self, parsed: Command) -> str:
        return target_of(parsed)

    def register(self, app: AsyncApp) -> None:
        app.command("/uc")(self.on_command)
        app.action(payloads.MENU_ACTION)(self.on_menu)
        for action_id in (payloads.PREVIOUS_ACTION, payloads.NEXT_ACTION, payloads.RETRY_ACTION):
            app.action(action_id)(self.on_again)
        app.action(re.compile(f"^{re.escape(payloads.TICK_ACTION)}:"))(self.on_tick)
        app.action(payloads.SHARE_ACTION)(self.on_share)
        app.action(payloads.DELETE_SELECTED_ACTION)(self.on_delete_selected)
        app.action(payloads.DISMISS_ACTION)(self.on_dismiss)
        app.view(payloads.ADD_CALLBACK)(self.on_add_submitted)
        app.view(payloads.EDIT_CALLBACK)(self.on_edit_submitted)

    async def on_menu(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        choice = MenuChoice.decode((action.get("selected_option") or {}).get("value"))
        await self.authorized_run(choice.command, here)

    async def on_again(
        self, body: dict[str, Any], action: dict[str, Any], here: Invocation
    ) -> None:
        """Previous, Next and Try again: the lookup their value names, in place of the message."""
        await here.ack()
        parsed = LookupValue.decode(action.get("value")).lookup
        if await self.authorized(parsed, here):
            await self._look_again(parsed, body, here)

    async def on_tick(self, body: dict[str, Any], action: dict[str, Any], here: Invocation) -> None:
        """Redraw the page, fetched afresh, so "Delete selected" names what is ticked now."""
        await here.ack()
        parsed = RowBlockId.decode(action.get("block_id")).page
        if await self.authorized(parsed, here):
            await self._look_again(parsed, body, here)

    async def on_share(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        parsed = LookupValue.decode(action.get("value")).lookup
        if await self.authorized(parsed, here) and await self.look(
            parsed, await self.reader(here), shared=True
        ):
            await here.respond(delete_original=True)

    async def on_delete_selected(self, action: dict[str, Any], here: Invocation) -> None:
        await here.ack()
        await self.authorized_run(
            PreviewDelete(RelationSelection.decode(action.get("value"))), here
        )

    async def _look_again(self, parsed: Lookup, body: dict[str, Any], here: Invocation) -> None:
        """A lookup redrawn in place; ticks travel with the list, in the message's own state."""
        ticked = ticked_keys(body.get("state", {}).get("values", {}))
        here = await self.reader(replace(here, in_place=True))
        await self.look(parsed, here, ticked=ticked)

    async def run(self, parsed: Command, here: Invocation) -> None:
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
            blocks = lookup_failed(here.t, error, LookupValue(lookup=parsed), here.ref)
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
        blocks = list_message(
            here.t,
            listing_of(here.t, parsed, page),
            page,
            ticked=ticked,
            editable=self.deps.roles.allows(here.user, Role.EDITOR),
            correlation_id=here.ref,
            shared_by=here.user if shared else None,
        )
        return list_summary(here.t, page), blocks

    async def _relation(
        self, key: RelationKey, here: Invocation, *, shared: bool
    ) -> tuple[str, list[Block]]:
        t = here.t
        relation = await self.deps.relations.find(key)
        pair = {"user": key.user_id, "customer": key.customer_id}
        if relation is None:
            return (
                t("No relation between user %(user)s and customer %(customer)s", **pair),
                missing_relation(t, key, here.ref),
            )
        blocks = relation_message(
            t,
            relation,
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
        blocks = delete_preview(
            here.t,
            existing,
            missing,
            fingerprint=fingerprint([relation.model_dump(mode="json") for relation in existing]),
            correlation_id=here.ref,
        )
        await self._reply(here, here.t("Delete preview"), blocks)
