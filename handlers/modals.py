"""One modal-submit flow for every form: the outcome reaches the person, whatever the timing.

Slack applies a view_submission ack when its HTTP response arrives and the app's Web API
calls as they arrive; nothing orders the two. So the answer goes in the ack whenever the
backend answers within `Deps.modal_budget` (inside Slack's 3 s): field errors on the field
they concern, or the result view. Only a slower backend gets a "Saving…" view, which carries
an external_id unique to this submission; the result then goes by `views.update` with that
external_id. Slack answers `not_found` until it has applied the ack that set it, so the
update retries until the "Saving…" view is there, and can never be overtaken by it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.modals import FieldErrors, ModalOutcome, Shown, loading_modal
from bot.i18n import Messages

__all__ = ["FieldErrors", "ModalOutcome", "Shown", "Submission", "answer_submission"]

log = logging.getLogger("handlers.modals")

# How long a "Saving…" view may take to land in Slack before the result is given up on.
LAND_TIMEOUT = 10.0
_RETRY_DELAYS = (0.05, 0.1, 0.2, 0.4, 0.8)


@dataclass
class Submission:
    """What a submit listener got: its ack, its client, the submitted view and its reference."""

    ack: AsyncAck
    client: AsyncWebClient
    view: dict[str, Any]
    ref: str
    title: str
    budget: float
    # The reader's language, as known inside the ack (the "Saving…" view is an ack).
    t: Messages


async def answer_submission(submission: Submission, outcome: Awaitable[ModalOutcome]) -> None:
    """Ack with the outcome when it comes within budget; else ack "Saving…" and update after."""
    work = asyncio.ensure_future(outcome)
    await asyncio.wait({work}, timeout=submission.budget)
    if work.done():
        await _ack_with(submission.ack, work.result())
        return
    external_id = f"saving-{submission.view.get('id', '')}-{submission.ref}"
    t = submission.t
    saving = loading_modal(t, submission.title, t("Saving…"))
    saving.external_id = external_id
    await submission.ack(response_action="update", view=saving)
    result = await work
    shown = result.form if isinstance(result, FieldErrors) else result.view
    await _update_when_landed(submission.client, external_id, shown, submission.ref)


async def _ack_with(ack: AsyncAck, outcome: ModalOutcome) -> None:
    if isinstance(outcome, FieldErrors):
        await ack(response_action="errors", errors=outcome.errors)
    else:
        await ack(response_action="update", view=outcome.view)


async def _update_when_landed(
    client: AsyncWebClient, external_id: str, view: View, ref: str
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LAND_TIMEOUT
    attempt = 0
    while True:
        try:
            await client.views_update(external_id=external_id, view=view)
            return
        except SlackApiError as error:
            code = error.response.get("error")
            if code != "not_found" or loop.time() >= deadline:
                # The person closed the form, or Slack never applied the ack: the outcome is
                # in the audit log, and nobody is left to show it to.
                log.warning(
                    "modal result not shown", extra={"ref": ref, "error": code, "tries": attempt}
                )
                return
        await asyncio.sleep(_RETRY_DELAYS[min(attempt, len(_RETRY_DELAYS) - 1)])
        attempt += 1
