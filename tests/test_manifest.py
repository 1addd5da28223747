"""manifest.yml installs as-is: it validates against Slack's schema and declares what we use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
# A copy kept in the repository (source and licence in tests/data/README.md).
SCHEMA = ROOT / "tests" / "data" / "slack-app-manifest.json"


def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA.read_text())
    return loaded


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return loaded


def test_manifest_validates_against_slacks_schema(manifest: dict[str, Any]) -> None:
    jsonschema.validate(manifest, _schema())


def test_manifest_declares_both_commands_with_usage_hints(manifest: dict[str, Any]) -> None:
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/binding", "/uc"}
    assert all(c["usage_hint"] for c in commands.values())


def test_manifest_enables_interactivity_socket_mode_and_needed_scopes(
    manifest: dict[str, Any],
) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # commands for the slash commands, chat:write for approval cards, im:write for the DM to
    # the requester, users:read for each person's language (users.info); nothing more.
    assert scopes == {"commands", "chat:write", "chat:write.public", "im:write", "users:read"}


def test_a_broken_manifest_is_caught() -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"display_information": {}}, _schema())
