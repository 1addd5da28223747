"""response_urls: what an app posts to them, within Slack's limits of uses and age."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.sandbox.blockkit import check_message
from bot.sandbox.slack.workspace import (
    RESPONSE_URL_TTL,
    RESPONSE_URL_USES,
    Json,
    Message,
    ResponsePost,
    SlackError,
    Workspace,
    _ResponseUrl,
)


class ResponseUrls(Workspace):
    async def _response_url_post(self, request: Request) -> Response:
        url_id = request.path_params["url_id"]
        raw = await request.body()
        try:
            body: Json | str = json.loads(raw)
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        self.response_posts.append(ResponsePost(url_id, body, self.clock()))
        try:
            self._respond(url_id, body)
        except SlackError as exc:
            self.violations.append(f"response_url {url_id}: {exc}")
            return JSONResponse({"ok": False, "error": exc.error, **exc.extra}, exc.status)
        return JSONResponse({"ok": True})

    def _respond(self, url_id: str, body: Json | str) -> None:
        url = self._response_urls.get(url_id)
        if url is None:
            raise SlackError("invalid_url", "not issued by Slack", status=404)
        if self.clock() - url.issued_at > RESPONSE_URL_TTL:
            raise SlackError("expired_url", "older than 30 minutes", status=404)
        if url.posts >= RESPONSE_URL_USES:
            raise SlackError("used_url", f"already posted {url.posts} times", status=404)
        url.posts += 1
        if not isinstance(body, dict):
            raise SlackError("invalid_payload", "body is not a JSON object", status=400)
        if body.get("delete_original"):
            self._original(url).deleted = True
            return
        problems = check_message(body.get("text"), body.get("blocks"))
        if problems:
            raise SlackError("invalid_blocks", f"{problems}", status=400, errors=problems)
        self._post_response(url, url_id, body)

    def _post_response(self, url: _ResponseUrl, url_id: str, body: Json) -> None:
        if body.get("replace_original") and url.message_ts is not None:
            original = self._original(url)
            original.text = body.get("text")
            original.blocks = self._with_block_ids(body.get("blocks") or [])
            original.state = {}
            return
        in_channel = body.get("response_type") == "in_channel"
        message = self._store(
            url.channel, body, user=None if in_channel else url.user, response_url_id=url_id
        )
        # A slash command's URL belongs to no message until its first response.
        if url.message_ts is None:
            url.message_ts = message.ts

    def _original(self, url: _ResponseUrl) -> Message:
        for message in self.messages:
            if message.channel == url.channel and message.ts == url.message_ts:
                if message.deleted:
                    raise SlackError("message_not_found", "original was deleted", status=404)
                return message
        raise SlackError("message_not_found", "this URL has no original message", status=404)
