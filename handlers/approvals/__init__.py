"""Approvals: a delete filed by one person runs only after a second person approves it.

`service` holds what has no Slack in it (what may be filed, who may decide, the store's
transitions, running an approved delete, the audit rows); `listeners` turn Slack's clicks into
calls on it and its answers into cards and sentences.
"""
