"""Under load: identical reads in flight are sent once; a full pool is named with a Retry."""

from __future__ import annotations

import asyncio

from bot.sandbox.harness import Sandbox
from tests.conftest import MakeSandbox
from tests.helpers import command, elements, reply, text_of


def gets(sandbox: Sandbox) -> list[str]:
    return [str(r.params["account_source"]) for r in sandbox.bangwo8.requests if r.method == "GET"]


async def test_concurrent_lookups_of_one_contact_share_one_get_per_source(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(http_timeout=5.0)
    sandbox.bangwo8.faults.inject(latency=1.0, method="GET")
    lookups = [command(sandbox, "/binding", "30851821") for _ in range(20)]
    messages = await asyncio.gather(*lookups)

    assert sorted(gets(sandbox)) == ["dingding", "open", "wechat", "workWechat"]
    for message in messages:
        text = text_of(message)
        assert "`10014850`" in text and "`oWx_30851821`" in text
        assert "could not be checked" not in text


async def test_writes_are_never_shared(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(http_timeout=5.0)
    sandbox.bangwo8.faults.inject(latency=0.5, method="POST")
    await asyncio.gather(
        command(sandbox, "/binding", "add 6862715 open oid-1"),
        command(sandbox, "/binding", "add 6862715 open oid-1"),
    )
    assert len([r for r in sandbox.bangwo8.requests if r.method == "POST"]) == 2


async def test_a_source_that_got_no_connection_is_offered_for_retry(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = await make_sandbox(
        http_timeout=5.0, http_max_connections=1, http_queue_timeout=0.3
    )
    sandbox.bangwo8.faults.inject(latency=1.0, method="GET")
    message = await command(sandbox, "/binding", "30851821")

    # One GET held the only connection; the three others were never sent.
    assert len(gets(sandbox)) == 1
    text = text_of(message)
    assert text.count("stayed busy for 0.3 s; nothing was sent") == 3
    retries = {e["value"] for e in elements(message, "binding_lookup")}
    assert len(retries) == 3

    sandbox.bangwo8.faults.clear()
    retry = sorted(retries)[0]
    ack = await sandbox.slack.click(message, "binding_lookup", value=retry)
    answered = await reply(sandbox, ack)
    assert "could not be checked" not in text_of(answered)
    assert gets(sandbox)[-1] == retry.split()[1]
