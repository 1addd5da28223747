"""Deletes need a second person: filing, approving, refusing, exactly once, expiry, restarts."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.sandbox.harness import (
    AGENT,
    APPROVAL_CHANNEL,
    APPROVER,
    APPROVER2,
    EDITOR,
    Sandbox,
    SettableClock,
    running_sandbox,
)
from bot.sandbox.slack import Message
from bot.store import ApprovalStatus
from tests.conftest import MakeSandbox
from tests.helpers import audited, button, command, reply, text_of


async def file_delete(
    sandbox: Sandbox, command_name: str, text: str, action: str, user: str = AGENT
) -> Message:
    """Preview, confirm Delete, and return the approval card posted for it."""
    preview = await command(sandbox, command_name, f"delete {text}", user=user)
    value = button(preview, action)["value"]
    await sandbox.slack.click(preview, action, value=value, user_id=user)
    # The preview is replaced in place by the "request filed" notice.
    await sandbox.slack.wait_for(lambda: "filed" in text_of(preview))
    return await approval_card(sandbox)


async def file_binding_delete(sandbox: Sandbox, user: str = AGENT) -> Message:
    return await file_delete(sandbox, "/binding", "30851821 dd", "binding_delete", user)


async def approval_card(sandbox: Sandbox) -> Message:
    return await sandbox.slack.wait_for(lambda: sandbox.slack.last_message(APPROVAL_CHANNEL))


async def click_approve(sandbox: Sandbox, card: Message, user: str = APPROVER) -> None:
    value = button(card, "approval_approve")["value"]
    await sandbox.slack.click(card, "approval_approve", value=value, user_id=user)


async def settled(sandbox: Sandbox, message: Message, *words: str) -> str:
    await sandbox.slack.wait_for(lambda: all(w in text_of(message) for w in words))
    return text_of(message)


async def told(sandbox: Sandbox, user: str, words: str) -> Message:
    """The ephemeral (or DM) message `user` got that says `words`."""

    def find() -> Message | None:
        return next(
            (
                m
                for m in reversed(sandbox.slack.messages)
                if (m.user == user or m.channel.startswith("D")) and words in text_of(m)
            ),
            None,
        )

    return await sandbox.slack.wait_for(find)


def binding_deletes(sandbox: Sandbox) -> list[dict[str, str]]:
    return [r.query for r in sandbox.bangwo8.requests if r.method == "DELETE"]


def uc_writes(sandbox: Sandbox) -> list[tuple[str, dict[str, object]]]:
    return [
        (r.path.rsplit("/", 1)[-1], r.params)
        for r in sandbox.user_customer.requests
        if r.path.endswith(("/delete", "/multi_delete"))
    ]


def has_button(message: Message, action_id: str) -> bool:
    return f'"{action_id}"' in json.dumps(message.blocks)


async def test_binding_delete_from_request_to_execution(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    text = text_of(card)
    assert "Delete request #1" in text and f"<@{AGENT}>" in text
    assert "`10014850`" in text and "expires" in text
    confirm = button(card, "approval_approve")["confirm"]["text"]["text"]
    assert "This deletes the DingTalk binding of contact 30851821" in confirm
    assert has_button(card, "approval_reject")
    filed = await told(sandbox, AGENT, "Request #1 filed")
    assert has_button(filed, "approval_cancel")
    stored = await sandbox.deps.store.get(1)
    assert stored is not None and stored.status is ApprovalStatus.PENDING
    assert stored.snapshot[0].model_dump()["open_id"] == "10014850" and stored.requester == AGENT

    await click_approve(sandbox, card)
    text = await settled(sandbox, card, "Approved and executed")
    assert f"<@{APPROVER}>" in text and not has_button(card, "approval_approve")
    assert binding_deletes(sandbox) == [{"cId": "30851821", "account_source": "dingding"}]
    sent = next(r for r in sandbox.bangwo8.requests if r.method == "DELETE")
    assert sent.headers["content-type"].startswith("multipart/form-data")
    assert (30851821, "dingding") not in sandbox.bangwo8.bindings
    dm = await told(sandbox, AGENT, "Your delete request #1")
    assert dm.channel.startswith("D") and "executed" in text_of(dm)
    actions = {e.action for e in await audited(sandbox, 2, feature="binding")}
    assert {"request delete", "approve"} <= actions and "delete" not in actions


async def test_single_relation_delete_runs_delete(sandbox: Sandbox) -> None:
    card = await file_delete(sandbox, "/uc", "998 1001", "uc_delete")
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Approved and executed")
    assert uc_writes(sandbox) == [("delete", {"user_id": "998", "customer_id": "1001"})]
    assert (998, 1001) not in sandbox.user_customer.relations


async def test_multi_relation_delete_runs_multi_delete_once(sandbox: Sandbox) -> None:
    card = await file_delete(sandbox, "/uc", "998 1001,1002", "uc_delete")
    assert "2 relations of user 998" in text_of(card)
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Approved and executed")
    assert uc_writes(sandbox) == [
        ("multi_delete", {"user_id": "998", "customer_id": ["1001", "1002"]})
    ]


async def test_delete_selected_across_two_users_runs_one_call_per_user(
    sandbox: Sandbox,
) -> None:
    page = await command(sandbox, "/uc", "list")
    for count, key in enumerate(("999:1001", "999:1003", "1000:1002"), start=1):
        await sandbox.slack.tick(page, f"uc_tick:{key}", [key])
        await settled(sandbox, page, f"Delete selected ({count})")
    ack = await sandbox.slack.click(page, "uc_delete_selected")
    preview = await reply(sandbox, ack)
    await sandbox.slack.click(preview, "uc_delete", value=button(preview, "uc_delete")["value"])
    card = await approval_card(sandbox)
    assert "3 relations of 2 users" in text_of(card)
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Approved and executed")
    assert sorted(uc_writes(sandbox), key=str) == sorted(
        [
            ("multi_delete", {"user_id": "999", "customer_id": ["1001", "1003"]}),
            ("delete", {"user_id": "1000", "customer_id": "1002"}),
        ],
        key=str,
    )
    assert not {(999, 1001), (999, 1003), (1000, 1002)} & set(sandbox.user_customer.relations)


async def test_non_approver_and_requester_are_refused_and_nothing_runs(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox, user=APPROVER)
    await click_approve(sandbox, card, user=EDITOR)
    assert "needs the approver role" in text_of(await told(sandbox, EDITOR, "approver role"))
    await click_approve(sandbox, card, user=APPROVER)
    assert "You filed request #1" in text_of(await told(sandbox, APPROVER, "second person"))
    assert not binding_deletes(sandbox)
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.PENDING
    refused = [e for e in await audited(sandbox, 3) if e.outcome == "refused"]
    assert len(refused) == 2


async def test_self_approval_when_allowed(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(allow_self_approval=True, approvers=frozenset({AGENT}))
    card = await file_binding_delete(sandbox)
    await click_approve(sandbox, card, user=AGENT)
    await settled(sandbox, card, "Approved and executed")


async def test_twenty_concurrent_approvals_delete_exactly_once(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    value = button(card, "approval_approve")["value"]
    clicks = [
        sandbox.slack.click(card, "approval_approve", value=value, user_id=approver)
        for approver in [APPROVER, APPROVER2] * 10
    ]
    acks = await asyncio.gather(*clicks)
    assert all(ack.status == 200 for ack in acks)
    await settled(sandbox, card, "Approved and executed")

    def losers() -> list[Message]:
        return [m for m in sandbox.slack.messages if "was already approved by" in text_of(m)]

    await sandbox.slack.wait_for(lambda: len(losers()) == 19)
    assert len(binding_deletes(sandbox)) == 1


async def test_reject_asks_a_reason_shown_to_everyone(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    await sandbox.slack.click(card, "approval_reject", value="1", user_id=APPROVER)
    modal = await sandbox.slack.wait_for(lambda: sandbox.slack.current_view(APPROVER))
    await sandbox.slack.submit_view(modal, {"reason": "Customer <!channel> asked to keep it"})
    text = await settled(sandbox, card, "Rejected")
    assert "&lt;!channel&gt; asked to keep it" in text
    dm = await told(sandbox, AGENT, "Rejected")
    assert "asked to keep it" in text_of(dm)
    await click_approve_if_possible(sandbox, card)
    assert not binding_deletes(sandbox)


async def click_approve_if_possible(sandbox: Sandbox, card: Message) -> None:
    assert not has_button(card, "approval_approve"), "a decided card must not offer Approve"


async def test_requester_cancels_a_pending_request(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    filed = await told(sandbox, AGENT, "Request #1 filed")
    await sandbox.slack.click(filed, "approval_cancel", value="1", user_id=AGENT)
    await settled(sandbox, card, "Cancelled by the requester")
    await sandbox.slack.wait_for(lambda: "cancelled; nothing was deleted" in text_of(filed))
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.CANCELLED


async def test_expired_request_cannot_run_and_its_card_says_so(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    sandbox.clock.advance(hours=24, seconds=1)
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Expired, nothing was deleted")
    assert "expired" in text_of(await told(sandbox, APPROVER, "expired"))
    assert not binding_deletes(sandbox)


async def test_records_changed_since_filing_are_not_deleted(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    sandbox.bangwo8.bindings[(30851821, "dingding")]["openId"] = "changed-meanwhile"
    await click_approve(sandbox, card)
    text = await settled(sandbox, card, "Not run: the records changed")
    assert "openId changed" in text and f"<@{AGENT}> may file it again" in text
    assert not binding_deletes(sandbox)
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.STALE


async def test_backend_failure_during_execution_is_shown_and_not_rerun(
    sandbox: Sandbox,
) -> None:
    card = await file_binding_delete(sandbox)
    stale_card = copy_of(card)
    sandbox.bangwo8.faults.inject(
        body='{"state": "403", "message": "database busy"}', method="DELETE"
    )
    await click_approve(sandbox, card)
    text = await settled(sandbox, card, "Approved, but the delete failed")
    assert "database busy" in text and not has_button(card, "approval_approve")
    await click_approve(sandbox, stale_card, user=APPROVER2)
    await told(sandbox, APPROVER2, "has run (failed)")
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.FAILED
    assert len(binding_deletes(sandbox)) == 1


def copy_of(card: Message) -> Message:
    """The card as a client that has not refreshed still shows it."""
    return Message(**{**card.__dict__, "blocks": json.loads(json.dumps(card.blocks))})


async def test_a_second_click_after_execution_is_told_who_won(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    stale_card = copy_of(card)
    await click_approve(sandbox, card)
    await settled(sandbox, card, "Approved and executed")
    await click_approve(sandbox, stale_card, user=APPROVER2)
    loser = await told(sandbox, APPROVER2, "already approved by")
    assert f"<@{APPROVER}>" in text_of(loser)
    assert len(binding_deletes(sandbox)) == 1


async def test_approved_but_never_begun_is_not_rerun_by_a_click_and_is_reopened_by_the_sweeper(
    sandbox: Sandbox,
) -> None:
    card = await file_binding_delete(sandbox)
    # As if the app died between the approval and the delete.
    await sandbox.deps.store.decide(
        1, to=ApprovalStatus.APPROVED, actor=APPROVER, now=sandbox.clock()
    )
    await click_approve(sandbox, card, user=APPROVER2)
    loser = await told(sandbox, APPROVER2, "the delete is under way")
    assert f"<@{APPROVER}>" in text_of(loser)
    assert "not executed yet" not in text_of(loser)
    await sandbox.sweeper.sweep()  # within the lease: left alone
    assert not binding_deletes(sandbox)
    stored = await sandbox.deps.store.get(1)
    assert stored is not None and stored.status is ApprovalStatus.APPROVED

    sandbox.clock.advance(seconds=sandbox.settings.approval_lease.total_seconds() + 1)
    await sandbox.sweeper.sweep()
    text = await settled(sandbox, card, "Waiting for an approver", "interrupted before")
    assert has_button(card, "approval_approve") and not binding_deletes(sandbox)
    await click_approve(sandbox, card, user=APPROVER2)
    await settled(sandbox, card, "Approved and executed")
    assert len(binding_deletes(sandbox)) == 1
    del text


async def test_pending_request_survives_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "store.db"
    clock = SettableClock()
    async with running_sandbox(database, clock=clock) as first:
        card = await file_binding_delete(first)
        first.slack.assert_clean()
    async with running_sandbox(database, clock=clock) as second:
        # A new app on the same database file; the card is still in the channel.
        second.bangwo8.bindings = first.bangwo8.bindings
        second.bangwo8.contacts = first.bangwo8.contacts
        second.slack.messages.append(card)
        await click_approve(second, card)
        await settled(second, card, "Approved and executed")
        assert [r.query for r in second.bangwo8.requests if r.method == "DELETE"] == [
            {"cId": "30851821", "account_source": "dingding"}
        ]
        request = await second.deps.store.get(1)
        assert request is not None and request.status is ApprovalStatus.EXECUTED
        second.slack.assert_clean()


async def test_audit_command_is_for_approvers(sandbox: Sandbox) -> None:
    await command(sandbox, "/binding", "add 6862715 wechat x1")
    refused = await command(sandbox, "/binding", "audit")
    assert "needs the approver role" in text_of(refused)
    log = await command(sandbox, "/binding", "audit 5", user=APPROVER)
    text = text_of(log)
    assert "<@U0AGENT> added the binding 6862715 wechat: bound to openId x1" in text
    assert "<@U0AGENT> was refused: read the audit log (needs approver)" in text


async def test_a_card_that_cannot_be_posted_files_nothing(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(approval_channel="C0GONE")
    preview = await command(sandbox, "/binding", "delete 30851821 dd")
    value = button(preview, "binding_delete")["value"]
    await sandbox.slack.click(preview, "binding_delete", value=value)
    told_requester = await told(sandbox, AGENT, "could not be posted")
    assert "channel_not_found" in text_of(told_requester) and "nothing was filed" in text_of(
        told_requester
    )
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.CANCELLED
    assert not binding_deletes(sandbox)
