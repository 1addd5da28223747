"""The Home tab: roles, the commands, and for approvers what waits for them."""

from __future__ import annotations

from bot.sandbox.harness import AGENT, APPROVER, Sandbox
from tests.helpers import text_of
from tests.test_approvals import file_binding_delete


async def home_text(sandbox: Sandbox, user: str) -> str:
    ack = await sandbox.slack.open_home(user)
    assert ack.status == 200
    view = await sandbox.slack.wait_for(lambda: sandbox.slack.home_view(user))
    return text_of(view)


async def test_approvers_see_pending_requests_and_others_their_roles(sandbox: Sandbox) -> None:
    await file_binding_delete(sandbox)
    approver_home = await home_text(sandbox, APPROVER)
    assert "Waiting for approval" in approver_home and "#1" in approver_home
    assert "the DingTalk binding of contact 30851821" in approver_home
    agent_home = await home_text(sandbox, AGENT)
    assert "Your roles: *viewer and editor*" in agent_home
    assert "Waiting for approval" not in agent_home


async def test_expired_requests_leave_the_list(sandbox: Sandbox) -> None:
    await file_binding_delete(sandbox)
    sandbox.clock.advance(hours=25)
    assert "Nothing." in await home_text(sandbox, APPROVER)
