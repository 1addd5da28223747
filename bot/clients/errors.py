"""Typed backend errors: each carries one sentence a person can read, in their language."""

from __future__ import annotations

from bot.i18n import N_, Messages, Sentence


class BackendError(Exception):
    """A backend call did not succeed. `error.say(t)` is a plain sentence in the reader's
    language; `message` is marked with `N_` and may name `%(backend)s`; `error.sentence` is the
    English (logs, the operator's terminal)."""

    def __init__(self, backend: str, message: str, /, **params: object) -> None:
        self.text = Sentence(message, backend=backend, **params)
        self.backend = backend
        self.sentence = str(self.text)
        super().__init__(self.sentence)

    def say(self, t: Messages) -> str:
        return self.text.say(t)


class BackendUnreachable(BackendError):
    """Nothing reached the backend (connection refused, DNS, pool exhausted): safe to retry."""


class BackendBusy(BackendUnreachable):
    """The bot's own connections to the backend were all in use for HTTP_TIMEOUT; nothing sent."""


class BackendTimeout(BackendError):
    """A read took longer than HTTP_TIMEOUT."""


class WriteOutcomeUnknown(BackendError):
    """A write was sent but no verdict came back: it may or may not have been applied."""


class AuthenticationFailed(BackendError):
    """The backend refused our credentials."""


class BackendHttpError(BackendError):
    """An HTTP error status with no error body the API documents."""

    def __init__(self, backend: str, status: int) -> None:
        super().__init__(backend, N_("%(backend)s answered with HTTP %(status)s."), status=status)
        self.status = status


class MalformedResponse(BackendError):
    """The answer was not the JSON shape the API documents."""


class BackendRejected(BackendError):
    """The backend understood the request and said no; `reason` is its own message."""

    def __init__(self, backend: str, message: str, reason: str, /, **params: object) -> None:
        super().__init__(backend, message, reason=reason, **params)
        self.reason = reason


class ContactNotFound(BackendRejected):
    """bangwo8 `user error`: the contact id does not exist."""


class AlreadyBound(BackendRejected):
    """bangwo8 `Bind Already exists`: the contact already has a binding for that source."""


class RecordNotFound(BackendRejected):
    """The record asked for does not exist."""
