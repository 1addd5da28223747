"""Sending signed requests to the app, and judging and applying its acks as Slack does."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import ssl
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.blockkit import check_message
from bot.sandbox.slack.elements import SlackEmulatorError
from bot.sandbox.slack.web_api import WebApi
from bot.sandbox.slack.workspace import (
    ACK_DEADLINE,
    FORM,
    Ack,
    Json,
    SlackError,
    View,
)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """Slack's v0 request signature of `body` sent at `timestamp`."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        # Slack sends UTF-8 only, and slack_sdk signs text; tests also sign other bytes, as an
        # attacker with the secret could. v0 is an HMAC of the bytes, so sign those.
        base = b"v0:%d:%s" % (timestamp, body)
        return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    signed = SignatureVerifier(secret).generate_signature(timestamp=str(timestamp), body=text)
    if signed is None:  # only when given no timestamp
        raise SlackEmulatorError("nothing to sign")
    return str(signed)


def _ack_body(response: httpx.Response) -> Json | str | None:
    if not response.content:
        return None
    if "json" in response.headers.get("content-type", ""):
        body: Json = response.json()
        return body
    return response.text


@functools.cache
def _plain_http_only() -> ssl.SSLContext:
    """One TLS context for every request the emulator sends (all plain HTTP on loopback):
    httpx would load the CA bundle for each new client, 30 ms of CPU a request, which under
    load showed up as late acks of the app."""
    return ssl.create_default_context()


class Acks(WebApi):
    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's signature headers; the app compares the timestamp with its own wall clock."""
        stamp = int(time.time()) if timestamp is None else timestamp
        return {
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(self.signing_secret, body, stamp),
        }

    async def send_raw(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST exactly this to the app, for tests of what the app refuses."""
        if not self.app_url:
            raise SlackEmulatorError("app_url is not set")
        self.sent.append((body, headers))
        async with httpx.AsyncClient(timeout=10.0, verify=_plain_http_only()) as client:
            return await client.post(self.app_url, content=body, headers=headers)

    async def send_signed(
        self, body: bytes, *, content_type: str = FORM, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        """Any body, signed as Slack signs; `headers` add to or replace Slack's (not judged).

        What an attacker who has the secret, or a Slack that changed its payloads, sends.
        """
        return await self.send_raw(
            body, {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        )

    async def send_payload(self, payload: Any, *, signed: bool = True) -> httpx.Response:
        """An interactivity payload of any shape (`payload=<json>`), signed or with no
        signature headers at all."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        if signed:
            return await self.send_signed(body)
        return await self.send_raw(body, {"Content-Type": FORM})

    async def replay(self, index: int = -1) -> httpx.Response:
        """Send again the exact bytes and headers of an earlier request (the last by default)."""
        body, headers = self.sent[index]
        return await self.send_raw(body, headers)

    async def _send_payload(self, label: str, payload: Json) -> Ack:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self._send(label, body, FORM, None)

    async def _send(
        self, label: str, body: bytes, content_type: str, headers: dict[str, str] | None
    ) -> Ack:
        sent = {"Content-Type": content_type, **self.sign(body), **(headers or {})}
        started = time.perf_counter()
        response = await self.send_raw(body, sent)
        elapsed = time.perf_counter() - started
        if headers is None:
            self._judge_ack(label, response.status_code, elapsed)
        return Ack(response.status_code, _ack_body(response), elapsed)

    def _judge_ack(self, label: str, status: int, elapsed: float) -> None:
        if status != 200:
            self.violations.append(f"ack for {label} answered HTTP {status}")
        if elapsed > ACK_DEADLINE:
            self.violations.append(f"ack for {label} took {elapsed * 1000:.0f} ms; Slack waits 3 s")

    def _show_command_ack(self, command: str, body: Json | str, url_id: str) -> None:
        # A slash command's ack body is shown as a response, in the order it arrives.
        reply: Json = {"text": body} if isinstance(body, str) else body
        problems = check_message(reply.get("text"), reply.get("blocks"))
        if problems:
            self.violations.append(f"ack for {command}: invalid_blocks: {problems}")
            return
        self._post_response(self._response_urls[url_id], url_id, reply)

    def _apply_submission_ack(self, view: View, body: Json | str | None) -> None:
        if isinstance(body, str):
            self.violations.append(f"view_submission ack must be empty or JSON, got {body!r}")
            return
        body = body or {}
        action = body.get("response_action")
        if action is None:
            self._close(view.user, everything=False)
        elif action == "clear":
            self._close(view.user, everything=True)
        elif action == "errors":
            self._show_errors(view, body.get("errors"))
        elif action in ("update", "push"):
            self._apply_view_action(view, str(action), body.get("view"))
        else:
            self.violations.append(f"view_submission ack: unknown response_action {action!r}")

    def _show_errors(self, view: View, errors: Any) -> None:
        inputs = {b.get("block_id") for b in view.view["blocks"] if b.get("type") == "input"}
        if not isinstance(errors, dict) or not errors:
            self.violations.append(f"response_action errors needs a non-empty map, got {errors!r}")
        elif unknown := sorted(set(errors) - inputs):
            self.violations.append(f"response_action errors names no input block: {unknown}")
        else:
            view.errors = {str(k): str(v) for k, v in errors.items()}

    def _apply_view_action(self, view: View, action: str, new: Any) -> None:
        try:
            checked = self._view_arg(f"response_action {action}", new, "modal")
            if action == "push":
                self._push(view.user, checked)
            else:
                self._replace(view, checked)
        except SlackError as exc:
            self.violations.append(f"view_submission ack: {exc}")
