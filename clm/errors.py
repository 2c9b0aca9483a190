"""Domain errors that every layer raises and the web and CLI layers turn into messages."""

from __future__ import annotations


class ClmError(Exception):
    """Base class of every error a user may see; ``str(err)`` is the message shown to them."""

    #: HTTP status the API answers with.
    status = 400


class InvalidInput(ClmError):
    """The input cannot be used: a bad file, a bad value, a missing field."""

    status = 422


class InputErrors(InvalidInput):
    """Input with one or more problems; ``errors`` lists each as "path: problem".

    Subclasses set ``summary``, the words before the list in the message.
    """

    summary = "invalid input"

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"{self.summary}: " + "; ".join(self.errors))


class TooLarge(InvalidInput):
    """The input is over a configured size limit."""

    status = 413


class UnsupportedMedia(InvalidInput):
    """The file is not of a kind clm reads."""

    status = 415


class NotFound(ClmError):
    """The object does not exist, or the caller may not know it exists."""

    status = 404


class Forbidden(ClmError):
    """The caller is known but its role does not allow this."""

    status = 403


class Conflict(ClmError):
    """The request clashes with the current state (a duplicate, a stale status)."""

    status = 409
