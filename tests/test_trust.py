"""Signed requests of any shape: decisions are authorised where they are made, values that do
not parse are "out of date", and nothing is a 5xx or a late 404."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.sandbox.harness import AGENT, APPROVER, EDITOR, VIEWER, Sandbox
from bot.store import ApprovalStatus
from handlers.approvals.cards import APPROVE_ACTION, REJECT_ACTION
from handlers.approvals.views import CANCEL_ACTION, REJECT_CALLBACK
from tests.helpers import side_effects, text_of
from tests.test_approvals import binding_deletes, file_binding_delete

STRANGER = "U0STRANGER"


def reject_submission(sandbox: Sandbox, user: str, metadata: str, reason: Any = "no") -> Any:
    payload = sandbox.slack.interaction_base("view_submission", user)
    payload["view"] = {
        "id": "V0FORGED",
        "type": "modal",
        "callback_id": REJECT_CALLBACK,
        "private_metadata": metadata,
        "state": {"values": {"reason": {"value": {"type": "plain_text_input", "value": reason}}}},
    }
    return payload


async def test_only_an_approver_other_than_the_requester_rejects_in_the_reason_modal(
    sandbox: Sandbox,
) -> None:
    await file_binding_delete(sandbox)
    request = (await sandbox.deps.store.pending())[0]
    for user in (STRANGER, VIEWER, EDITOR, AGENT):
        answer = await sandbox.slack.send_payload(reject_submission(sandbox, user, str(request.id)))
        assert answer.status_code == 200
        assert answer.json()["response_action"] == "update"
        assert "can't" in str(answer.json()["view"]) or "filed" in str(answer.json()["view"])
    assert (await sandbox.deps.store.get(request.id)).status is ApprovalStatus.PENDING  # type: ignore[union-attr]
    refusals = [e for e in await sandbox.deps.store.recent_audit(20) if e.outcome == "refused"]
    assert {e.actor for e in refusals} == {STRANGER, VIEWER, EDITOR, AGENT}
    # An approver still rejects through the same modal.
    answer = await sandbox.slack.send_payload(reject_submission(sandbox, APPROVER, str(request.id)))
    assert answer.status_code == 200
    await sandbox.slack.wait_for_call("conversations.open")  # the requester is told
    assert (await sandbox.deps.store.get(request.id)).status is ApprovalStatus.REJECTED  # type: ignore[union-attr]
    assert not binding_deletes(sandbox)


def action(action_id: Any, value: Any = "1", **extra: Any) -> dict[str, Any]:
    return {"action_id": action_id, "block_id": "b", "type": "button", "value": value, **extra}


def malformed_payloads(sandbox: Sandbox) -> list[dict[str, Any]]:
    def clicks(*actions: Any) -> dict[str, Any]:
        return {**sandbox.slack.interaction_base("block_actions"), "actions": list(actions)}

    view = {**sandbox.slack.interaction_base("view_submission"), "view": {"id": "V1"}}
    no_type = {"id": "V1", "callback_id": "x", "state": {"values": {}}}
    return [
        clicks(),
        {**clicks(), "actions": "approval_approve"},
        {**clicks(), "actions": {"action_id": APPROVE_ACTION}},
        clicks({"value": "1"}),
        clicks(None),
        clicks(action(APPROVE_ACTION, 1)),
        clicks(action(["x"])),
        clicks(action(APPROVE_ACTION, "1" * 200_000)),
        {**clicks(action(APPROVE_ACTION)), "user": "U0APPROVER"},
        {**clicks(action(APPROVE_ACTION)), "user": {"id": 7}},
        {
            **view,
            "view": {
                "id": "V1",
                "type": "modal",
                "callback_id": REJECT_CALLBACK,
                "state": {"values": []},
            },
        },
        {
            **view,
            "view": {"id": "V1", "type": "modal", "callback_id": REJECT_CALLBACK, "state": []},
        },
        {**view, "view": []},
        {**view, "view": no_type},
        reject_submission(sandbox, APPROVER, "1", reason=["why"]),
        reject_submission(sandbox, APPROVER, "1", reason="x" * 200_000),
        {"type": "shortcut", "callback_id": "x"},
        {"type": 5},
    ]


async def test_signed_malformed_interactivity_is_never_a_5xx_nor_late(sandbox: Sandbox) -> None:
    before = await side_effects(sandbox)
    for payload in malformed_payloads(sandbox):
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await sandbox.slack.send_payload(payload)
        assert answer.status_code < 500, (str(payload)[:200], answer.status_code)
        assert loop.time() - started < 3.0
    await asyncio.sleep(0.3)
    # None of them reached a backend or the store.
    assert (await side_effects(sandbox))[:2] == before[:2]
    assert (await side_effects(sandbox))[4] == before[4]


@pytest.mark.parametrize("action_id", [APPROVE_ACTION, REJECT_ACTION, CANCEL_ACTION])
async def test_a_request_button_with_a_value_that_is_no_id_is_out_of_date(
    sandbox: Sandbox, action_id: str
) -> None:
    await file_binding_delete(sandbox)
    for value in ["abc", "1.0", "", " 1", "1 2", "-1", "0", "١", "99999999999999999999"]:
        payload = sandbox.slack.interaction_base("block_actions", APPROVER)
        payload["actions"] = [action(action_id, value)]
        loop = asyncio.get_running_loop()
        started = loop.time()
        answer = await sandbox.slack.send_payload(payload)
        assert answer.status_code == 200, (value, answer.status_code)
        assert loop.time() - started < 3.0
        url_id = payload["response_url"].rsplit("/", 1)[-1]
        told = await sandbox.slack.wait_for(
            lambda url_id=url_id: next(
                (m for m in sandbox.slack.messages if m.response_url_id == url_id), None
            )
        )
        assert "out of date" in text_of(told)
    pending = await sandbox.deps.store.pending()
    assert len(pending) == 1 and not binding_deletes(sandbox)


async def test_an_unknown_button_or_form_is_answered_out_of_date(sandbox: Sandbox) -> None:
    payload = sandbox.slack.interaction_base("block_actions")
    payload["actions"] = [action("from_an_older_version")]
    answer = await sandbox.slack.send_payload(payload)
    assert answer.status_code == 200
    url_id = payload["response_url"].rsplit("/", 1)[-1]
    told = await sandbox.slack.wait_for(
        lambda: next((m for m in sandbox.slack.messages if m.response_url_id == url_id), None)
    )
    assert "out of date" in text_of(told)
    form = sandbox.slack.interaction_base("view_submission")
    form["view"] = {"id": "V1", "type": "modal", "callback_id": "old_form", "state": {"values": {}}}
    answer = await sandbox.slack.send_payload(form)
    assert answer.status_code == 200 and "out of date" in str(answer.json())


async def test_edit_metadata_that_does_not_parse_is_out_of_date(sandbox: Sandbox) -> None:
    for metadata in ["", "{not json", '{"cid": "abc", "source": "wechat"}', "[]", "null"]:
        form = sandbox.slack.interaction_base("view_submission", EDITOR)
        form["view"] = {
            "id": "V1",
            "type": "modal",
            "callback_id": "binding_edit",
            "private_metadata": metadata,
            "state": {"values": {"open_id": {"value": {"type": "plain_text_input", "value": "o"}}}},
        }
        answer = await sandbox.slack.send_payload(form)
        assert answer.status_code == 200, metadata
        assert "out of date" in str(answer.json())
    assert not [r for r in sandbox.bangwo8.requests if r.method != "GET"]
