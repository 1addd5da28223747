from tests.helpers import *  # noqa
from tests.test_bindings import *  # noqa
async def test_dbg(sandbox):
    await sandbox.slack.slash_command("/binding", "edit 40713895 wx")
    view = await modal(sandbox)
    ack = await sandbox.slack.submit_view(view, {"open_id": "67890"})
    print("ACK", ack)
    import asyncio; await asyncio.sleep(1)
    for v in sandbox.slack.views: print(v.id, v.stack_position, v.closed, v.errors, str(v.view["blocks"])[:300])
    for c in sandbox.slack.calls: print(c.method, str(c.body)[:200])
    print(sandbox.slack.violations)
