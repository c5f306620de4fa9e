"""The hub's error tree. Every error the hub raises on purpose derives from `AlertHubError`.

    AlertHubError
    ├── InvalidMessageError          a native message failed validation (names the element)
    │   ├── MalformedMessageError        not even well-formed (XML/JSON syntax, encoding)
    │   ├── UnsupportedMediaTypeError    the body's media type is not one the channel accepts
    │   ├── PayloadTooLargeError         the body is over the configured limit
    │   └── LimitExceededError           a structure (points, areas, text...) is over its limit
    ├── ConflictError                the message is valid but contradicts what is recorded
    │   ├── AlertEndedError              an update newer than the alert's end
    │   ├── IdentifierReusedError        a known message identity with different content
    │   ├── MassEndRefusedError          a feed snapshot would end too many alerts at once
    │   ├── PartnerExistsError           a partner of that name is already registered
    │   └── PartnerRevokedError          the partner was revoked; nothing more changes it
    ├── UnauthenticatedError         no credentials, or credentials the hub does not accept
    ├── ForbiddenError               a known partner without the right (names the right)
    ├── RateLimitedError             too many failed authentications from one address
    ├── NotFoundError
    │   ├── AlertNotFoundError
    │   ├── ChannelNotFoundError
    │   └── PartnerNotFoundError
    ├── ContentionError              concurrent writers kept winning; safe to retry later
    ├── UnavailableError             storage cannot take writes now (disk full, database gone...)
    ├── ChannelLoadError             a channel plugin could not be loaded (names the plugin)
    └── ConfigurationError           settings that cannot work together

HTTP status codes are decided only at the API edge (`hub.api.problems`), never here.
"""

from __future__ import annotations

from dataclasses import dataclass


class AlertHubError(Exception):
    """Root of every error the hub raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a path such as `info[0].area[1].polygon`) and what."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class InvalidMessageError(AlertHubError):
    """A native message is malformed or breaks a rule; nothing of it is recorded."""

    def __init__(self, problems: list[Problem] | str, *, location: str = "") -> None:
        self.problems = [Problem(location, problems)] if isinstance(problems, str) else problems
        super().__init__("; ".join(str(p) for p in self.problems))

    @property
    def location(self) -> str:
        """The first failing element, the one a reader fixes first."""
        return self.problems[0].location if self.problems else ""


class MalformedMessageError(InvalidMessageError):
    """The body is not well-formed in its media type (syntax, encoding, forbidden constructs)."""


class SignatureRequiredError(InvalidMessageError):
    """The partner must sign every message, and this one's signature is not verified."""


class UnsupportedMediaTypeError(InvalidMessageError):
    """The channel does not accept this media type."""


class PayloadTooLargeError(InvalidMessageError):
    """The body exceeds the configured size limit."""


class LimitExceededError(InvalidMessageError):
    """A part of the message (polygon points, areas, text...) is over its configured limit."""

    def __init__(self, problems: list[Problem], *, limit: str) -> None:
        super().__init__(problems)
        self.limit = limit


class InvalidQueryError(AlertHubError):
    """A read asked for something that cannot be answered (a place off the globe, say)."""

    def __init__(self, message: str, *, location: str = "") -> None:
        self.location = location
        super().__init__(message)


class ConflictError(AlertHubError):
    """The message is well formed but contradicts the recorded history."""


class AlertEndedError(ConflictError):
    """An update or re-issue sent after the alert ended: an ended alert stays ended."""


class IdentifierReusedError(ConflictError):
    """A sender reused a message identifier for different content (CAP identifiers are unique)."""


class MassEndRefusedError(ConflictError):
    """A whole-feed snapshot would end more of the partner's active alerts than allowed at once.

    An empty or truncated feed is the usual cause; a partner that means it says so explicitly.
    """

    def __init__(self, message: str, *, count: int, active: int) -> None:
        self.count, self.active = count, active
        super().__init__(message)


class PartnerExistsError(ConflictError):
    """A partner of this name is already registered (rights change by grant, keys by rotation)."""


class PartnerRevokedError(ConflictError):
    """The partner is revoked: it cannot act, and its record no longer changes."""


class UnauthenticatedError(AlertHubError):
    """No credentials, or credentials the hub does not accept (unknown, wrong, expired, revoked)."""


class ForbiddenError(AlertHubError):
    """The partner is known but lacks a right; `right` names it (e.g. `channel:nlalert`)."""

    def __init__(self, message: str, *, right: str) -> None:
        self.right = right
        super().__init__(message)


class RateLimitedError(AlertHubError):
    """Too many failed authentications from one client address; `retry_after` in seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class NotFoundError(AlertHubError):
    """The thing asked for does not exist."""


class AlertNotFoundError(NotFoundError):
    """No alert has this id."""


class ChannelNotFoundError(NotFoundError):
    """No installed channel has this name."""


class PartnerNotFoundError(NotFoundError):
    """No partner has this name."""


class ContentionError(AlertHubError):
    """The same alerts kept changing under us; nothing was written and a retry is safe."""


class UnavailableError(AlertHubError):
    """Something underneath (disk, database) cannot take writes now; nothing was written.

    `reason` is a short machine-readable cause (`disk-full`, `read-only`, `locked`, `corrupt`,
    `database-unreachable`) and `retry_after` the seconds a client should wait before trying again.
    """

    def __init__(self, message: str, *, reason: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.reason, self.retry_after = reason, retry_after


class ChannelLoadError(AlertHubError):
    """A channel plugin is broken; raised at start so a bad plugin never half-runs."""


class ConfigurationError(AlertHubError):
    """Settings that cannot work together."""
