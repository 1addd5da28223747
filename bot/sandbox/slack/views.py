"""Modals and the Home tab: the view stack, views.* methods, hashes and trigger_ids."""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.blockkit import check_view
from bot.sandbox.slack.elements import (
    state_values,
)
from bot.sandbox.slack.response_urls import ResponseUrls
from bot.sandbox.slack.workspace import (
    APP_ID,
    BOT_ID,
    TRIGGER_TTL,
    VIEW_STACK_LIMIT,
    Json,
    SlackError,
    View,
    _Trigger,
)


class Views(ResponseUrls):
    def current_view(self, user: str) -> View | None:
        """The modal on top of `user`'s stack, if one is open."""
        stack = self._stack(user)
        return stack[-1] if stack else None

    def home_view(self, user: str) -> View | None:
        return next((v for v in self.views if v.user == user and v.stack_position == 0), None)

    def _views_open(self, args: Json) -> Json:
        new = self._view_arg("views.open", args.get("view"), "modal")
        trigger = self._exchange(args.get("trigger_id"))
        self._refuse_duplicate_external_id(new)
        self._close(trigger.user, everything=True)
        return {"ok": True, "view": self._open(trigger.user, new, previous=None).view}

    def _views_push(self, args: Json) -> Json:
        new = self._view_arg("views.push", args.get("view"), "modal")
        trigger = self._exchange(args.get("trigger_id"))
        self._refuse_duplicate_external_id(new)
        return {"ok": True, "view": self._push(trigger.user, new).view}

    def _views_update(self, args: Json) -> Json:
        view = self._find_view(args.get("view_id"), args.get("external_id"))
        new = self._view_arg("views.update", args.get("view"), view.view["type"])
        self._check_hash(view, args.get("hash"))
        self._replace(view, new)
        return {"ok": True, "view": view.view}

    def _views_publish(self, args: Json) -> Json:
        user = str(args.get("user_id"))
        if user not in self.users:
            raise SlackError("user_not_found", repr(user))
        new = self._view_arg("views.publish", args.get("view"), "home")
        home = self.home_view(user)
        if home is None:
            return {"ok": True, "view": self._open(user, new, previous=None, home=True).view}
        self._check_hash(home, args.get("hash"))
        self._replace(home, new)
        return {"ok": True, "view": home.view}

    def _view_arg(self, where: str, new: Any, kind: str) -> Json:
        if not isinstance(new, dict):
            raise SlackError("invalid_arguments", f"{where}: view is missing")
        problems = check_view(new)
        if new.get("type") != kind:
            problems.append(f"{where} takes a {kind} view, got {new.get('type')!r}")
        if problems:
            raise SlackError("invalid_arguments", f"{problems}", errors=problems)
        return new

    def _exchange(self, trigger_id: Any) -> _Trigger:
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackError("invalid_trigger_id", repr(trigger_id))
        if trigger.used:
            raise SlackError("exchanged_trigger_id", f"{trigger_id} was used already")
        age = self.clock() - trigger.issued_at
        if age > TRIGGER_TTL:
            raise SlackError("expired_trigger_id", f"{trigger_id} is {age:.1f} s old")
        trigger.used = True
        return trigger

    def _check_hash(self, view: View, given: Any) -> None:
        if given is not None and given != view.hash:
            raise SlackError("hash_conflict", f"{view.id}: {given} is stale", violation=False)

    def _refuse_duplicate_external_id(self, new: Json) -> None:
        external_id = new.get("external_id")
        taken = (v.view.get("external_id") for v in self.views if not v.closed)
        if external_id and external_id in taken:
            raise SlackError("duplicate_external_id", repr(external_id))

    def _find_view(self, view_id: Any, external_id: Any) -> View:
        if not view_id and not external_id:
            raise SlackError("invalid_arguments", "view_id or external_id is required")
        matching = [
            v
            for v in self.views
            if view_id in (None, v.id) and external_id in (None, v.view.get("external_id"))
        ]
        if not matching:
            # By external_id a correct app may ask before Slack has applied the ack that set it.
            raise SlackError(
                "not_found", f"no view {view_id or external_id!r}", violation=not external_id
            )
        # A closed view's external_id may be reused; the open one is meant.
        still_open = [v for v in matching if not v.closed]
        if not still_open:
            raise SlackError("not_found", f"view {view_id or external_id!r} was closed")
        return still_open[-1]

    def _open(self, user: str, new: Json, *, previous: View | None, home: bool = False) -> View:
        view_id = f"V0SBX{next(self._ids):05d}"
        root = previous.view["root_view_id"] if previous else view_id
        position = 0 if home else (previous.stack_position + 1 if previous else 1)
        view = View(id=view_id, hash="", user=user, view={}, stack_position=position)
        view.view = {"id": view_id, "root_view_id": root, "state": {"values": {}}}
        view.view["previous_view_id"] = previous.id if previous else None
        self._replace(view, new)
        self.views.append(view)
        return view

    def _push(self, user: str, new: Json) -> View:
        top = self.current_view(user)
        if top is None:
            raise SlackError("not_found", f"{user} has no open modal to push onto")
        if top.stack_position >= VIEW_STACK_LIMIT:
            raise SlackError("push_limit_reached", f"{VIEW_STACK_LIMIT} views are open already")
        return self._open(user, new, previous=top)

    def _replace(self, view: View, new: Json) -> None:
        """Show `new` in `view`; what was typed into inputs whose ids persist is kept."""
        blocks = self._with_block_ids(new.get("blocks") or [])
        view.hash = f"{int(self.clock())}.{secrets.token_hex(4)}"
        view.errors = None
        view.view |= {
            "team_id": self.team_id,
            "type": new.get("type"),
            "blocks": blocks,
            "private_metadata": new.get("private_metadata", ""),
            "callback_id": new.get("callback_id", ""),
            "state": {"values": state_values(blocks, view.state)},
            "hash": view.hash,
            "title": new.get("title"),
            "clear_on_close": bool(new.get("clear_on_close")),
            "notify_on_close": bool(new.get("notify_on_close")),
            "close": new.get("close"),
            "submit": new.get("submit"),
            "app_id": APP_ID,
            "external_id": new.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }

    def _stack(self, user: str) -> list[View]:
        open_modals = [
            v for v in self.views if v.user == user and v.stack_position and not v.closed
        ]
        return sorted(open_modals, key=lambda v: v.stack_position)

    def _close(self, user: str, *, everything: bool) -> None:
        stack = self._stack(user)
        for view in stack if everything else stack[-1:]:
            view.closed = True
