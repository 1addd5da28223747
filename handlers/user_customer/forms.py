"""`/uc` forms: open the add and edit modals, and answer what they submit."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import message_modal
from bot.clients.errors import BackendError
from bot.i18n import N_, SOURCE_LANGUAGE, messages
from bot.models import Relation, RelationChange, RelationKey
from handlers import common
from handlers.common import FeatureHandlers, view_values
from handlers.modals import ModalOutcome, Shown, answer_submission
from handlers.user_customer import modals
from handlers.user_customer.cards import missing_relation, write_done
from handlers.user_customer.grammar import (
    NOTHING_CHANGED,
    key_text,
    read_add_form,
    read_edit_form,
    shown_digests,
    texts_detail,
)
from handlers.user_customer.payloads import EditMetadata
from handlers.user_customer.views import added, changes, saved


class RelationForms(FeatureHandlers):
    """The add and edit modals of `/uc`; the listeners in `listeners.py` open them."""

    # ---- add ----

    async def open_add_modal(self, here: common.Invocation) -> None:
        secret = self.deps.settings.user_customer_secret
        await here.client.views_open(
            trigger_id=here.trigger_id,
            view=modals.add_modal(here.t, secret=secret.get_secret_value() if secret else None),
        )

    async def on_add_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        values = view_values(view)
        user, ref = body["user"]["id"], context["correlation_id"]
        t = self.deps.locales.known(user)
        relation, errors = read_add_form(t, values)
        if relation is None:
            await ack(response_action="errors", errors=errors)
            return
        key = RelationKey(user_id=relation.user_id, customer_id=relation.customer_id)
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="add",
            what=N_("add relations"),
            title=N_("Add relation"),
            target=key_text(key),
            ref=ref,
        ):
            return

        async def outcome() -> ModalOutcome:
            try:
                await self.deps.relations.add(relation)
            except BackendError as error:
                await self.audit_write("add", key_text(key), user, error)
                return modals.add_refused(t, error, key, values, ref)
            await self.audit_write("add", key_text(key), user, None, detail=texts_detail(relation))
            done = write_done(t, added(t, key), key, ref)
            return Shown(message_modal(t, t("Add relation"), done))

        submission = self.submission(ack, client, view, ref, t("Add relation"), t)
        await answer_submission(submission, outcome())

    # ---- edit ----

    async def open_edit_modal(self, key: RelationKey, here: common.Invocation) -> None:
        t = here.t
        title = t("Edit relation")

        def fill(relation: Relation | None) -> View:
            if relation is None:
                return message_modal(t, title, missing_relation(t, key, here.ref))
            shown = shown_digests(modals.edit_form_values(relation))
            metadata = EditMetadata(user_id=key.user_id, customer_id=key.customer_id, shown=shown)
            return modals.edit_modal(t, relation, metadata)

        await common.open_then_fill(
            here, title, modals.edit_loading(t, key), lambda: self.deps.relations.find(key), fill
        )

    async def on_edit_submitted(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        metadata = EditMetadata.decode(view.get("private_metadata"))
        values = view_values(view)
        user, ref = body["user"]["id"], context["correlation_id"]
        t = self.deps.locales.known(user)
        changed = read_edit_form(values, metadata.shown)
        if not changed:
            await ack(response_action="errors", errors={"template": t(NOTHING_CHANGED)})
            return
        key = metadata.key
        if not await self.editor_in_modal(
            ack,
            user=user,
            action="edit",
            what=N_("edit relations"),
            title=N_("Edit relation"),
            target=key_text(key),
            ref=ref,
        ):
            return
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
            return Shown(message_modal(t, t("Edit relation"), done))

        submission = self.submission(ack, client, view, ref, t("Edit relation"), t)
        await answer_submission(submission, outcome())
