"""What every feature's handlers share: option parsing, modal values, audit, refusals."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.blocks.approvals import audit_blocks
from bot.blocks.common import code, fallback_text, mrkdwn_text, notice
from bot.deps import Deps
from bot.roles import Role, refusal

log = logging.getLogger("handlers")


class UsageError(ValueError):
    """What was wrong with the typed input, as a sentence."""


def split_options(tokens: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """Separate positional words from `key=value` options (which may come in any order)."""
    words: list[str] = []
    options: dict[str, str] = {}
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key.isidentifier() and key.lower() in {"from", "to", "page", "size"}:
            if key.lower() in options:
                raise UsageError(f"{code(key + '=')} is given twice.")
            options[key.lower()] = value
        else:
            words.append(token)
    return words, options


def positive_int(text: str, what: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(f"{what} must be a positive whole number, not {code(text)}.")
    return int(text)


def view_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The submitted values of a modal, by block id (inputs use the action id `value`)."""
    values: dict[str, str | None] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        state = actions.get("value", {})
        if state.get("type") == "static_select":
            option = state.get("selected_option")
            values[block_id] = option["value"] if option else None
        else:
            value = state.get("value")
            values[block_id] = value.strip() if isinstance(value, str) else None
    return values


def metadata(**fields: object) -> str:
    return json.dumps(fields, separators=(",", ":"))


def read_metadata(view: dict[str, Any]) -> dict[str, Any]:
    raw = view.get("private_metadata") or "{}"
    loaded = json.loads(raw)
    return loaded if isinstance(loaded, dict) else {}


async def audit(
    deps: Deps,
    *,
    user: str,
    action: str,
    feature: str,
    target: str,
    outcome: str,
    detail: str = "",
) -> None:
    await deps.store.audit(
        actor=user,
        action=action,
        feature=feature,
        target=target,
        outcome=outcome,
        detail=detail,
        now=deps.clock(),
    )


async def refuse(
    deps: Deps,
    *,
    user: str,
    role: Role,
    what: str,
    feature: str,
    action: str,
    target: str,
    ref: str,
    ack: AsyncAck | None = None,
    respond: AsyncRespond | None = None,
) -> None:
    """Tell the person which role they lack (in the ack when there is one) and audit it."""
    sentence = refusal(role, what)
    blocks = notice(f":no_entry: {sentence}", ref)
    if ack is not None:
        await ack(text=mrkdwn_text(sentence), blocks=blocks)
    elif respond is not None:
        await respond(text=mrkdwn_text(sentence), blocks=blocks, replace_original=False)
    log.info("refused", extra={"user": user, "feature": feature, "action": action, "role": role})
    await audit(
        deps,
        user=user,
        action=action,
        feature=feature,
        target=target,
        outcome="refused",
        detail=f"needs {role.value}",
    )


async def show_audit(
    deps: Deps, feature: str, limit: int, respond: AsyncRespond, correlation_id: str
) -> None:
    entries = await deps.store.recent_audit(min(limit, 200), feature=feature)
    await respond(
        text=fallback_text(f"Audit log of /{feature}"),
        blocks=audit_blocks(feature, entries, correlation_id),
        replace_original=False,
    )
