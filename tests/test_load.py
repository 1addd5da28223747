"""Under load: identical reads in flight are sent once, writes at most once; a full pool offers Retry."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.clients.errors import WriteOutcomeUnknown
from bot.clients.http import JsonHttp
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
    sandbox = await make_sandbox(http_timeout=5.0, http_max_connections=1, http_queue_timeout=0.3)
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


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_a_write_whose_connection_drops_is_sent_once_and_reported_unknown(
    method: str,
) -> None:
    """aiohttp re-sends PUT and DELETE on a dropped connection; a backend may have applied it."""
    received: list[bytes] = []

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()  # applied, perhaps, but no answer

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = JsonHttp(
        name="bangwo8",
        base_url=f"http://127.0.0.1:{port}",
        timeout=2.0,
        auth=httpx.BasicAuth("agent", "secret"),
    )
    try:
        with pytest.raises(WriteOutcomeUnknown, match="not known whether the change was made"):
            await http.send(method, "/api", write=True, json={"cId": 1})
    finally:
        await http.aclose()
        server.close()
    assert len(received) == 1
    assert received[0].startswith(method.encode())
