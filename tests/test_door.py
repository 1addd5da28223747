"""The door: nothing unverified is answered, parsed or logged; a verified request runs once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.sandbox.harness import AGENT, Sandbox, running_sandbox
from bot.sandbox.slack import FORM, signature
from tests.helpers import elsewhere, side_effects

# What an attacker can put in the timestamp and signature headers (bytes: not all ASCII).
BAD_TIMESTAMPS: list[bytes] = [
    b"abc",
    b"",
    b"9" * 5000,
    b"-1",
    b"+1700000000",
    b"1_700_000_000",
    "１７００".encode(),
    b"\xff\xfe",
    b"1e9",
]
BAD_SIGNATURES: list[bytes] = [b"", b"v0=", b"v0=" + b"0" * 64, "v0=ü".encode(), b"x" * 5000]


def command_body(response_url: str, text: str = "30851821") -> bytes:
    fields = {
        "command": "/binding",
        "text": text,
        "user_id": AGENT,
        "channel_id": "C0SUPPORT",
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    return urlencode(fields).encode()


async def nothing_happened(sandbox: Sandbox, before: tuple[int, ...], hits: list[bytes]) -> None:
    await asyncio.sleep(0.3)  # long enough for a post the app would make after answering
    assert hits == []
    assert await side_effects(sandbox) == before


async def test_unverifiable_timestamps_get_401_and_the_bot_posts_nowhere(sandbox: Sandbox) -> None:
    before = await side_effects(sandbox)
    async with elsewhere() as (hook, hits):
        body = command_body(hook)
        for stamp in BAD_TIMESTAMPS:
            for sig in [b"v0=" + b"0" * 64, signature("guess", body, 0).encode()]:
                headers = {
                    "Content-Type": FORM,
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": sig,
                }
                answer = await sandbox.slack.send_raw(body, headers)  # type: ignore[arg-type]
                assert answer.status_code == 401, (stamp[:20], answer.status_code)
        for sig in BAD_SIGNATURES:
            headers = {**sandbox.slack.sign(body), "Content-Type": FORM}
            answer = await sandbox.slack.send_raw(body, {**headers, "X-Slack-Signature": sig})  # type: ignore[dict-item]
            assert answer.status_code == 401
        no_headers = await sandbox.slack.send_raw(body, {"Content-Type": FORM})
        assert no_headers.status_code == 401
        await nothing_happened(sandbox, before, hits)


async def test_a_wrong_signature_on_a_malformed_body_is_401_not_500(sandbox: Sandbox) -> None:
    before = await side_effects(sandbox)
    bodies = [b"payload=", b"payload={not json", b"payload=[]", b"payload=null", b"{", b"\xff\xfe"]
    for body in bodies:
        stamp = int(time.time())
        headers = {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature("not-the-secret", body, stamp),
        }
        answer = await sandbox.slack.send_raw(body, headers)
        assert answer.status_code == 401, (body, answer.status_code)
        # Signed, the same bodies are a 400: no listener could read them (and bytes that
        # are not UTF-8 cannot be verified by slack_sdk at all).
        signed = await sandbox.slack.send_signed(body)
        assert signed.status_code == (401 if body == b"\xff\xfe" else 400)
    assert await side_effects(sandbox) == before


async def test_an_altered_or_stale_request_is_401(sandbox: Sandbox) -> None:
    before = await side_effects(sandbox)
    async with elsewhere() as (hook, hits):
        body = command_body(hook)
        headers = {"Content-Type": FORM, **sandbox.slack.sign(body)}
        altered = await sandbox.slack.send_raw(body.replace(b"30851821", b"30851822"), headers)
        stale = {"Content-Type": FORM, **sandbox.slack.sign(body, int(time.time()) - 301)}
        # Far enough ahead that the window, which shrinks while this test runs, never holds it.
        future = {"Content-Type": FORM, **sandbox.slack.sign(body, int(time.time()) + 330)}
        assert altered.status_code == 401
        assert (await sandbox.slack.send_raw(body, stale)).status_code == 401
        assert (await sandbox.slack.send_raw(body, future)).status_code == 401
        await nothing_happened(sandbox, before, hits)


def binding_adds(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.bangwo8.requests if r.method == "POST")


async def test_a_replayed_command_runs_once(sandbox: Sandbox) -> None:
    ack = await sandbox.slack.slash_command("/binding", "add 6862715 wechat 564354327 789")
    assert ack.status == 200
    await sandbox.slack.wait_for(lambda: binding_adds(sandbox) == 1)
    await asyncio.sleep(1.0)
    replayed = await sandbox.slack.replay()
    assert replayed.status_code == 409
    await asyncio.sleep(0.5)
    assert binding_adds(sandbox) == 1
    assert len(await sandbox.deps.store.recent_audit(10)) == 1


async def test_a_replay_to_another_replica_runs_once(tmp_path: Path) -> None:
    database = tmp_path / "shared.db"
    async with (
        running_sandbox(database) as first,
        running_sandbox(database, seed=False) as second,
    ):
        ack = await first.slack.slash_command("/binding", "add 6862715 wechat 564354327 789")
        assert ack.status == 200
        await first.slack.wait_for(lambda: binding_adds(first) == 1)
        body, headers = first.slack.sent[-1]
        async with httpx.AsyncClient() as client:
            answer = await client.post(second.slack.app_url, content=body, headers=headers)
        assert answer.status_code == 409
        await asyncio.sleep(0.5)
        assert binding_adds(second) == 0 and not second.slack.calls


async def test_an_events_api_retry_is_answered_without_running_twice(sandbox: Sandbox) -> None:
    assert (await sandbox.slack.open_home(AGENT)).status == 200
    await sandbox.slack.wait_for_call("views.publish")
    body, _ = sandbox.slack.sent[-1]
    # Slack signs a retry afresh; only the event id is the same.
    retry = await sandbox.slack.send_signed(
        body,
        content_type="application/json",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    await asyncio.sleep(0.5)
    assert len([c for c in sandbox.slack.calls if c.method == "views.publish"]) == 1


async def test_unverified_bodies_are_never_logged(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    marker = "ATTACKER-MARKER"
    body = command_body(f"https://evil.example/{marker}", text=marker + "x" * 1_000_000)
    headers = {
        "Content-Type": FORM,
        "X-Slack-Request-Timestamp": str(int(time.time())),
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    assert (await sandbox.slack.send_raw(body, headers)).status_code == 401
    bad_stamp = {**headers, "X-Slack-Request-Timestamp": "abc"}
    assert (await sandbox.slack.send_raw(body, bad_stamp)).status_code == 401
    payload = json.dumps({"type": "block_actions", "response_url": marker})
    forged = urlencode({"payload": payload}).encode()
    assert (await sandbox.slack.send_raw(forged, headers)).status_code == 401
    for record in caplog.records:
        logged = record.getMessage() + repr(record.__dict__)
        assert marker not in logged
        assert len(logged) < 5000
