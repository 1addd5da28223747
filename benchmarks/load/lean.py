"""The lean reference: the smallest honest async bolt app doing what `/binding <cId>` does.

Four concurrent GETs on one keep-alive aiohttp session, the same cards as plain dicts
(escaped), one response_url POST on a long-lived session, logging at WARNING. It has no
typed models, no Block Kit objects, no audit and no settings: the cost of the work itself,
which support-bot's own CPU and latency are measured against.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

PATH = "/api/v1/user/relationship/cid.json"
SOURCES = {
    "dingding": "DingTalk",
    "wechat": "WeChat",
    "workWechat": "WeCom",
    "open": "Open platform",
}
Json = dict[str, Any]


def esc(text: object) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(value: object) -> str:
    return f"`{esc(value).replace('`', 'ˋ')}`" if str(value) else "_empty_"


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def card(row: Json) -> Json:
    cid, source = row.get("cId"), str(row.get("account_source"))
    label = SOURCES.get(source, source)

    def value(key: str) -> str:
        return code(row[key]) if row.get(key) not in (None, "") else "_none_"

    remark = esc(row["remark"])[:200] if row.get("remark") else "_none_"
    fields = [
        ("Contact", code(cid)),
        ("Source", f"{label} ({code(source)})"),
        ("openId", code(row.get("openId", ""))),
        ("appId", value("appId")),
        ("Account", value("account")),
        ("aId", value("aId")),
        ("Template", value("templateId")),
        ("Remark", remark),
    ]
    options = [
        {"text": {"type": "plain_text", "text": verb}, "value": f"{verb.lower()} {cid} {source}"}
        for verb in ("Edit", "Delete")
    ]
    return {
        "type": "section",
        "text": mrkdwn(f"*{label}* binding of contact {code(cid)}"),
        "fields": [mrkdwn(f"*{name}*\n{text}") for name, text in fields],
        "accessory": {"type": "overflow", "action_id": "binding_menu", "options": options},
    }


def answer(cid: int, outcomes: dict[str, Any], ref: str, elapsed: float) -> list[Json]:
    blocks: list[Json] = [{"type": "section", "text": mrkdwn(f"*Bindings of contact {code(cid)}*")}]
    empty, failed = [], []
    for source, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            failed.append(source)
        elif outcome:
            blocks += [card(row) for row in outcome]
        else:
            empty.append(SOURCES[source])
    if empty:
        blocks.append(
            {"type": "context", "elements": [mrkdwn(f"No binding for {', '.join(empty)}.")]}
        )
    for source in failed:
        retry: dict[str, Any] = {
            "type": "button",
            "action_id": "binding_lookup",
            "value": f"{cid} {source}",
        }
        retry["text"] = {"type": "plain_text", "text": f"Retry {SOURCES[source]}"}
        text = f":warning: *{SOURCES[source]}* could not be checked."
        blocks.append({"type": "section", "text": mrkdwn(text), "accessory": retry})
    share: dict[str, Any] = {"type": "button", "action_id": "binding_share", "value": str(cid)}
    share["text"] = {"type": "plain_text", "text": "Share in channel"}
    blocks.append({"type": "actions", "elements": [share]})
    footer = f"{len(outcomes)} sources in {elapsed:.1f} s · ref {code(ref)}"
    blocks.append({"type": "context", "elements": [mrkdwn(footer)]})
    return blocks


def lean_app(
    urls: Json, signing_secret: str, bot_token: str
) -> tuple[AsyncApp, Callable[[], Awaitable[None]]]:
    """The app, and what closes its sessions; its process logs at WARNING (`serve_lean`)."""
    log = logging.getLogger("lean")
    app = AsyncApp(
        signing_secret=signing_secret,
        client=AsyncWebClient(token=bot_token, base_url=urls["slack_api"]),
        process_before_response=False,
    )
    sessions: dict[str, aiohttp.ClientSession] = {}

    def session(name: str, **kwargs: Any) -> aiohttp.ClientSession:
        if name not in sessions:  # created on first use, inside the running loop
            sessions[name] = aiohttp.ClientSession(**kwargs)
        return sessions[name]

    async def get(cid: int, source: str) -> list[Json]:
        backend = session(
            "bangwo8",
            base_url=urls["bangwo8"],
            headers={"Authorization": aiohttp.encode_basic_auth("agent@example.com", "secret")},
            timeout=aiohttp.ClientTimeout(total=10),
        )
        params = {"account_source": source, "cId": str(cid)}
        async with backend.get(PATH, params=params) as response:
            body = await response.json()
        data = body.get("data") if isinstance(body, dict) else None
        if isinstance(data, list):
            return data
        if isinstance(body, dict) and str(body.get("state")) != "200":
            return []  # "user error" and friends: nothing to show for this source
        raise ValueError("an answer without data")

    async def binding(ack: AsyncAck, command: Json) -> None:
        text = command.get("text", "").strip()
        if not text.isdigit():
            await ack(text="Usage: /binding <cId>")
            return
        cid, ref = int(text), secrets.token_hex(4)
        # As support-bot answers: an empty ack, then the answer in one response_url post (Slack
        # promises no order between an ack's message and a post, so nothing is replaced).
        await ack()
        started = time.perf_counter()
        results = await asyncio.gather(*(get(cid, s) for s in SOURCES), return_exceptions=True)
        outcomes = dict(zip(SOURCES, results, strict=True))
        for source, outcome in outcomes.items():
            if isinstance(outcome, BaseException):
                log.warning("lookup failed", extra={"source": source, "error": repr(outcome)})
        message = {
            "text": f"Bindings of contact {cid}",
            "blocks": answer(cid, outcomes, ref, time.perf_counter() - started),
            "response_type": "ephemeral",
        }
        slack = session("slack", timeout=aiohttp.ClientTimeout(total=30))
        async with slack.post(command["response_url"], json=message) as response:
            if response.status != 200:
                log.warning("response_url refused", extra={"status": response.status})

    async def close() -> None:
        for opened in sessions.values():
            await opened.close()

    app.command("/binding")(binding)
    return app, close
