"""`/uc` forms: open the add and edit modals, and answer what they submit."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.blocks.modals import message_modal
from bot.clients.errors import BackendError
from bot.i18n import N_, SOURCE_LANGUAGE, messages
from bot.models import Relation, RelationChange, RelationKey
from bot.roles import Role
from handlers.common import FeatureHandlers, Form, Requires, open_then_fill
from handlers.context import Invocation
from handlers.modals import ModalOutcome, Shown
from handlers.user_customer import modals
from handlers.user_customer.cards import missing_relation, write_done
from handlers.user_customer.grammar import (
    NOTHING_CHANGED,
    Command,
    key_text,
    read_add_form,
    read_edit_form,
    shown_digests,
    texts_detail,
)
from handlers.user_customer.payloads import EditMetadata
from handlers.user_customer.views import added, changes, saved
from handlers.words import view_values

_ADD_FORM = Form(N_("Add relation"), Requires(Role.EDITOR, N_("add relations"), action="add"))
_EDIT_FORM = Form(N_("Edit relation"), Requires(Role.EDITOR, N_("edit relations"), action="edit"))


class RelationForms(FeatureHandlers[Command]):
    """The add and edit modals of `/uc`; the listeners in `listeners.py` open them."""

    # ---- add ----

    async def open_add_modal(self, here: Invocation) -> None:
        secret = self.deps.settings.user_customer_secret
        await here.client.views_open(
            trigger_id=here.trigger_id,
            view=modals.add_modal(here.t, secret=secret.get_secret_value() if secret else None),
        )

    async def on_add_submitted(self, view: dict[str, Any], here: Invocation) -> None:
        values = view_values(view)
        user, ref, t = here.user, here.ref, here.t
        relation, errors = read_add_form(t, values)
        if relation is None:
            await here.ack(response_action="errors", errors=errors)
            return
        key = RelationKey(user_id=relation.user_id, customer_id=relation.customer_id)

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.relations.add(relation)
            except BackendError as error:
                await self.audit_write("add", key_text(key), user, error)
                return modals.add_refused(t, error, key, values, ref)
            await self.audit_write("add", key_text(key), user, None, detail=texts_detail(relation))
            done = write_done(t, added(t, key), key, ref)
            return Shown(message_modal(t, t(_ADD_FORM.title), done))

        await self.submit(here, view, _ADD_FORM, key_text(key), outcome)

    # ---- edit ----

    async def open_edit_modal(self, key: RelationKey, here: Invocation) -> None:
        t = here.t
        title = t(_EDIT_FORM.title)

        def fill(relation: Relation | None) -> View:
            if relation is None:
                return message_modal(t, title, missing_relation(t, key, here.ref))
            shown = shown_digests(modals.edit_form_values(relation))
            metadata = EditMetadata(user_id=key.user_id, customer_id=key.customer_id, shown=shown)
            return modals.edit_modal(t, relation, metadata)

        await open_then_fill(
            here, title, modals.edit_loading(t, key), lambda: self.deps.relations.find(key), fill
        )

    async def on_edit_submitted(self, view: dict[str, Any], here: Invocation) -> None:
        metadata = EditMetadata.decode(view.get("private_metadata"))
        values = view_values(view)
        user, ref, t = here.user, here.ref, here.t
        changed = read_edit_form(values, metadata.shown)
        if not changed:
            await here.ack(response_action="errors", errors={"template": t(NOTHING_CHANGED)})
            return
        key = metadata.key
        change = RelationChange(user_id=key.user_id, customer_id=key.customer_id, **changed)

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.relations.edit(change)
            except BackendError as error:
                await self.audit_write("edit", key_text(key), user, error)
                return modals.edit_refused(t, error, metadata, values, ref)
            detail = changes(messages(SOURCE_LANGUAGE), change, str)
            await self.audit_write("edit", key_text(key), user, None, detail=detail)
            done = write_done(t, saved(t, change), key, ref)
            return Shown(message_modal(t, t(_EDIT_FORM.title), done))

        await self.submit(here, view, _EDIT_FORM, key_text(key), outcome)
