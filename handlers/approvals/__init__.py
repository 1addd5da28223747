"""Approvals: a delete filed by one person runs only after a second person approves it.

`service` holds what has no Slack in it (what may be filed, who may decide, the store's
transitions, running an approved delete, the audit rows); `cards` (the approval card) and
`views` (the other sentences, the reject modal) are pure; `listeners` turn Slack's clicks into
calls on the service, and `announce` (their base) shows its answers: redrawn cards, the
requester's DM.
"""
