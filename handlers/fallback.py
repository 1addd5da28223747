"""Registered last: whatever no other listener takes is answered, never left to bolt's 404.

Buttons and forms of an older version of the app, or values nobody made, land here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck

from bot.blocks.common import fallback_text, notice
from bot.blocks.modals import message_modal
from bot.i18n import N_
from handlers.context import Invocation

log = logging.getLogger("handlers.fallback")

OUT_OF_DATE = N_("This button or form is out of date, so nothing was done. Run the command again.")

_ANY = re.compile(".*", re.DOTALL)


def register(app: AsyncApp) -> None:
    app.action(_ANY)(_on_action)
    app.view(_ANY)(_on_view)
    app.view_closed(_ANY)(_on_other)
    app.command(_ANY)(_on_command)
    app.event(_ANY)(_on_other)


async def _on_action(ack: AsyncAck, body: dict[str, Any], here: Invocation) -> None:
    await ack()
    log.info("unknown action", extra={"action": str(body["actions"][0]["action_id"])[:80]})
    if here.respond.response_url is not None:
        t = here.t
        await here.respond(
            text=fallback_text(t(OUT_OF_DATE)),
            blocks=notice(t, f":x: {t(OUT_OF_DATE)}", here.ref),
            replace_original=False,
        )


async def _on_view(ack: AsyncAck, here: Invocation) -> None:
    t = here.t
    view = message_modal(t, t("Nothing was done"), notice(t, f":x: {t(OUT_OF_DATE)}", here.ref))
    await ack(response_action="update", view=view)


async def _on_command(ack: AsyncAck, here: Invocation) -> None:
    t = here.t
    sentence = t("This app does not answer that command.")
    await ack(text=sentence, blocks=notice(t, sentence, here.ref))


async def _on_other(ack: AsyncAck) -> None:
    await ack()
