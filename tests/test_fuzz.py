"""Property-based fuzzing of the door and the listeners (Hypothesis), through the sandbox.

Invariants: an unverifiable request is a 401 with no side effect at all; a signed request
of any shape is answered within 3 s with a 2xx or a 4xx, never a 5xx. The example budget
is small so the suite stays fast; raise FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.harness import AGENT, APPROVER, EDITOR, Sandbox
from bot.sandbox.slack import FORM, signature
from handlers.approvals.cards import APPROVE_ACTION, REJECT_ACTION
from handlers.approvals.views import CANCEL_ACTION, REJECT_CALLBACK
from tests.helpers import side_effects

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ACTION_IDS = [
    APPROVE_ACTION,
    REJECT_ACTION,
    CANCEL_ACTION,
    "binding_delete",
    "uc_delete",
    "binding_menu",
    "binding_share",
    "binding_dismiss",
    "uc_menu",
    "uc_share",
    "uc_tick:0",
]
COMMAND_WORDS = [
    *["add", "edit", "delete", "audit", "help", "openid", "list", "get", "follows"],
    *["30851821", "998", "1001", "wx", "dd", "page=2", "size=0", "user=998", "ref~V"],
    *["-1", "0", "1" * 30, "١٢", "<!channel>", "a=b", "x" * 300],
]
CALLBACKS = [REJECT_CALLBACK, "binding_add", "binding_edit", "uc_add", "uc_edit", "other"]

# JSON of any shape, with now and then a long string.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.just("9" * 5000),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.sampled_from(["1", "2", "abc", "", "1.0", "-1", "0", "99999999999999999999", "١"])
values = ids | st.text(max_size=40) | json_values
users = st.sampled_from([AGENT, EDITOR, APPROVER, "U0STRANGER", ""]) | json_values


@st.composite
def actions(draw: st.DrawFn) -> Any:
    action: dict[str, Any] = {
        "action_id": draw(st.sampled_from(ACTION_IDS) | json_values),
        "block_id": draw(st.text(max_size=10) | json_values),
        "type": draw(st.sampled_from(["button", "overflow", "checkboxes"])),
    }
    for key in draw(st.sets(st.sampled_from(["value", "selected_option", "selected_options"]))):
        action[key] = draw(values | st.fixed_dictionaries({"value": values}))
    if draw(st.booleans()):
        del action[draw(st.sampled_from(sorted(action)))]
    return action


@st.composite
def interactions(draw: st.DrawFn, sandbox: Sandbox) -> dict[str, Any]:
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed"]))
    payload = sandbox.slack.interaction_base(kind, draw(st.sampled_from([AGENT, APPROVER])))
    if kind == "block_actions":
        payload["actions"] = draw(st.lists(actions(), max_size=3) | json_values)
    else:
        state = draw(
            st.dictionaries(
                st.sampled_from(["reason", "cid", "source", "open_id", "app_id"]),
                st.fixed_dictionaries({"value": st.fixed_dictionaries({"value": values})}),
            )
            | json_values
        )
        payload["view"] = {
            "id": "V1",
            "type": "modal",
            "callback_id": draw(st.sampled_from(CALLBACKS)),
            "private_metadata": draw(ids | st.text(max_size=30) | json_values),
            "state": {"values": state},
        }
    for key in draw(st.sets(st.sampled_from(sorted(payload)), max_size=2)):
        payload[key] = draw(json_values | users)
    return payload


def _sendable(raw: bytes) -> bytes:
    """What HTTP can carry in a header value: no control characters, no outer whitespace."""
    return bytes(c for c in raw if c >= 0x20 and c != 0x7F).strip(b" ")


async def answered_in_time(send: Any) -> int:
    loop = asyncio.get_running_loop()
    started = loop.time()
    answer = await send
    assert loop.time() - started < 3.0
    return int(answer.status_code)


@FUZZ
@given(
    timestamp=(st.binary(max_size=30) | st.integers().map(lambda n: str(n).encode())).map(
        _sendable
    ),
    sig=(st.binary(max_size=80) | st.text(max_size=70).map(str.encode)).map(_sendable),
    body=st.binary(max_size=300),
    skew=st.sampled_from([0, -302, 302, 10**6]),
)
async def test_fuzz_unverifiable_requests_are_401_with_no_side_effect(
    sandbox: Sandbox, timestamp: bytes, sig: bytes, body: bytes, skew: int
) -> None:
    before = await side_effects(sandbox)
    # Whole seconds: 302 s off is more than 300 s off whatever the fraction of now.
    stamp = int(time.time()) + skew
    good_stamp = str(stamp).encode()
    # Headers of every kind, and a correct signature over another body or at another time.
    attempts = [
        {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": sig},
        {"X-Slack-Request-Timestamp": good_stamp, "X-Slack-Signature": sig},
        {
            "X-Slack-Request-Timestamp": good_stamp,
            "X-Slack-Signature": signature(sandbox.slack.signing_secret, body + b"x", stamp),
        },
    ]
    if skew:
        valid_then = signature(sandbox.slack.signing_secret, body, stamp)
        attempts.append({"X-Slack-Request-Timestamp": good_stamp, "X-Slack-Signature": valid_then})
    for headers in attempts:
        sent = sandbox.slack.send_raw(body, {"Content-Type": FORM, **headers})  # type: ignore[dict-item]
        assert await answered_in_time(sent) == 401
    assert await side_effects(sandbox) == before


@FUZZ
@given(data=st.data())
async def test_fuzz_signed_interactivity_is_never_a_5xx(
    sandbox: Sandbox, data: st.DataObject
) -> None:
    payload = data.draw(interactions(sandbox) | json_values)
    status = await answered_in_time(sandbox.slack.send_payload(payload))
    assert 200 <= status < 500, (status, json.dumps(payload)[:300])


@FUZZ
@given(
    command=st.sampled_from(["/binding", "/uc"]),
    text=st.text(max_size=60)
    | st.lists(
        st.sampled_from(COMMAND_WORDS),
        max_size=6,
    ).map(" ".join),
    user=st.sampled_from([AGENT, EDITOR, APPROVER, "U0VIEWER", "U0STRANGER"]),
)
async def test_fuzz_signed_commands_are_acked_in_time(
    sandbox: Sandbox, command: str, text: str, user: str
) -> None:
    fields = sandbox.slack.command_fields(command, text, user_id=user)
    body = urlencode(fields).encode()
    status = await answered_in_time(sandbox.slack.send_signed(body))
    assert status == 200, (command, text)
