"""Approvals say only what the store knows: one open request per record, outcome unknown,
expiry without a click."""

from __future__ import annotations

import asyncio

from bot.sandbox.harness import AGENT, APPROVAL_CHANNEL, EDITOR, Sandbox
from bot.store import ApprovalStatus
from tests.helpers import button, command, text_of
from tests.test_approvals import (
    binding_deletes,
    click_approve,
    file_binding_delete,
    file_delete,
    has_button,
    settled,
    told,
    uc_writes,
)


async def test_two_filings_of_the_same_record_give_one_request(sandbox: Sandbox) -> None:
    previews = [
        await command(sandbox, "/binding", "delete 30851821 dd", user=user)
        for user in (AGENT, EDITOR, AGENT)
    ]
    await asyncio.gather(
        *(
            sandbox.slack.click(
                p, "binding_delete", value=button(p, "binding_delete")["value"], user_id=user
            )
            for p, user in zip(previews, (AGENT, EDITOR, AGENT), strict=True)
        )
    )
    await sandbox.slack.wait_for(
        lambda: sum("Nothing new was filed" in text_of(p) for p in previews) == 2 or None
    )
    cards = sandbox.slack.messages_in(APPROVAL_CHANNEL)
    assert len(cards) == 1 and "Delete request #1" in text_of(cards[0])
    refused = next(p for p in previews if "Nothing new was filed" in text_of(p))
    assert "already in open request #1" in text_of(refused)
    assert await sandbox.deps.store.get(2) is None
    assert [r.id for r in await sandbox.deps.store.pending()] == [1]


async def test_a_multi_delete_overlapping_an_open_request_names_the_overlap(
    sandbox: Sandbox,
) -> None:
    await file_delete(sandbox, "/uc", "998 1001", "uc_delete")
    preview = await command(sandbox, "/uc", "delete 998 1001,1002")
    value = button(preview, "uc_delete")["value"]
    await sandbox.slack.click(preview, "uc_delete", value=value)
    await sandbox.slack.wait_for(lambda: "Nothing was filed" in text_of(preview))
    text = text_of(preview)
    assert "1 of the 2 records are already in open requests" in text
    assert "customer 1001 of user 998: request #1" in text
    assert "customer 1002" not in text
    assert len(sandbox.slack.messages_in(APPROVAL_CHANNEL)) == 1


async def test_a_closed_request_frees_its_records(sandbox: Sandbox) -> None:
    card = await file_binding_delete(sandbox)
    sandbox.clock.advance(seconds=sandbox.settings.approval_ttl.total_seconds() + 1)
    await sandbox.sweeper.sweep()
    await settled(sandbox, card, "Expired")
    await file_binding_delete(sandbox)
    assert [r.id for r in await sandbox.deps.store.pending()] == [2]


async def test_a_timed_out_delete_applied_later_is_outcome_unknown_not_failed(
    sandbox: Sandbox,
) -> None:
    card = await file_binding_delete(sandbox)
    # Applied by the backend after the bot's HTTP_TIMEOUT (2 s in the sandbox) has passed.
    sandbox.bangwo8.faults.inject(latency=2.5, method="DELETE")
    await click_approve(sandbox, card)
    text = await settled(sandbox, card, "not known whether the delete was made")
    assert "Check with `/binding 30851821 dingding`" in text
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.UNKNOWN
    dm = await told(sandbox, AGENT, "Your delete request #1")
    assert "not known whether the delete was made" in text_of(dm)
    assert "failed" not in text_of(dm) and "could not be deleted" not in text_of(dm)
    assert len(binding_deletes(sandbox)) == 1


async def test_a_timed_out_multi_delete_is_outcome_unknown(sandbox: Sandbox) -> None:
    card = await file_delete(sandbox, "/uc", "998 1001,1002", "uc_delete")
    sandbox.user_customer.faults.inject(latency=2.5, path="/multi_delete")
    await click_approve(sandbox, card)
    text = await settled(sandbox, card, "not known whether the delete was made")
    assert "Check with `/uc get 998 1001`" in text and "Check with `/uc get 998 1002`" in text
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.UNKNOWN
    assert len(uc_writes(sandbox)) == 1


async def test_a_reset_under_an_approved_delete_reaches_the_backend_once(
    sandbox: Sandbox,
) -> None:
    card = await file_binding_delete(sandbox)
    sandbox.bangwo8.faults.inject(reset=True, method="DELETE", times=2)
    await click_approve(sandbox, card)
    await settled(sandbox, card, "not known whether the delete was made")
    assert len(binding_deletes(sandbox)) == 1


async def test_an_expired_card_is_redrawn_by_the_sweeper_without_a_click(
    sandbox: Sandbox,
) -> None:
    card = await file_binding_delete(sandbox)
    sandbox.clock.advance(seconds=sandbox.settings.approval_ttl.total_seconds() / 2)
    await sandbox.sweeper.sweep()
    await sandbox.sweeper.sweep()
    reminders = [
        m
        for m in sandbox.slack.messages_in(APPROVAL_CHANNEL)
        if "has waited for an approver" in text_of(m)
    ]
    assert len(reminders) == 1
    sandbox.clock.advance(seconds=sandbox.settings.approval_ttl.total_seconds() / 2)
    await sandbox.sweeper.sweep()
    text = await settled(sandbox, card, "Expired, nothing was deleted")
    assert not has_button(card, "approval_approve") and not has_button(card, "approval_reject")
    assert "UTC" in text  # when it expired
    request = await sandbox.deps.store.get(1)
    assert request is not None and request.status is ApprovalStatus.EXPIRED
