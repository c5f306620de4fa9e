"""The `Alert` aggregate: the hub's guarantees, recorded as past-tense events.

`receive` decides which event a command causes; each event's `evolve` is the pure state
transition, shared with the projections. Event payloads are plain JSON data (the message as
`AlertMessage.to_json()`), so the stored events, the Avro stream and the API all carry one shape.
"""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.commands import Command, EndAlert, Outcome
from domain.errors import AlertEndedError
from domain.model import AlertMessage
from domain.personal import erased
from domain.provenance import OPERATOR, Provenance, SignatureVerdict
from domain.state import AlertState, Erasure


def _no_provenance(state: dict[str, Any]) -> None:
    """Events recorded before provenance existed: the publisher is unknown."""
    state["provenance"] = None


def _verdict(provenance: dict[str, Any] | None) -> SignatureVerdict | None:
    """The signature verdict an event's provenance recorded (None: recorded before verdicts)."""
    found = (provenance or {}).get("signature")
    return None if found is None else SignatureVerdict.model_validate(found)


class _ReadOnce:
    """What the fold reads of an event, worked out once per event object, then remembered.

    One event is read by every live view and by the fold, each asking for its message (and,
    for an issue, the state it opens); without this each would validate the same JSON again.
    Both are kept in slots, not in the instance's `__dict__`: the store's mapper, the sealer
    and the Avro codec read an event's fields as `vars(event)`, which must not hold them. An
    event's `message` is never changed once anyone has read it (an event read back is opened
    before it is handed out; sealing copies it).
    """

    __slots__ = ("_issued", "_parsed_message")
    message: dict[str, Any]
    _parsed_message: AlertMessage
    _issued: AlertState  # `AlertIssued.evolve`'s

    @property
    def alert_message(self) -> AlertMessage:
        try:
            return self._parsed_message
        except AttributeError:
            parsed = AlertMessage.model_validate(self.message)
            object.__setattr__(self, "_parsed_message", parsed)  # events are frozen
            return parsed

    def __getstate__(self) -> dict[str, Any]:
        """Copied or pickled as its fields alone (a frozen dataclass refuses the slots'
        restore; the copy works out its message and state again when asked)."""
        return dict(vars(self))


class AlertEvent(_ReadOnce, Aggregate.Event):
    """Base of the alert's non-creation events."""

    channel: str
    message: dict[str, Any]
    provenance: dict[str, Any] | None  # who published it (`domain.provenance.Provenance`)

    class_version = 2
    upcast_v1_v2 = staticmethod(_no_provenance)

    def evolve(self, state: AlertState) -> AlertState:
        raise NotImplementedError

    def fold(self, state: AlertState) -> AlertState:
        """`evolve`, and when this message is now the one shown, the verdict on its signature."""
        after = self.evolve(state)
        if after.current.key == state.current.key:
            return after
        return after.model_copy(update={"signature": _verdict(self.provenance)})

    def apply(self, aggregate: Aggregate) -> None:
        alert = cast(Alert, aggregate)
        alert.state = self.fold(alert.state)


class AlertIssued(_ReadOnce, Aggregate.Created):
    """The hub saw the first message of an alert (an Alert, or an Update/Cancel ahead of it)."""

    channel: str
    message: dict[str, Any]
    thread: str | None
    provenance: dict[str, Any] | None

    class_version = 2
    upcast_v1_v2 = staticmethod(_no_provenance)

    def evolve(self, state: AlertState | None = None) -> AlertState:
        """The state this event opens: a function of the event alone, which every live view
        folds in turn, so it is built once per event object (kept in a slot, as the message)."""
        try:
            return self._issued
        except AttributeError:
            issued = AlertState.issued(
                self.originator_id,
                self.channel,
                self.alert_message,
                self.timestamp,
                self.thread,
                signature=_verdict(self.provenance),
            )
            object.__setattr__(self, "_issued", issued)  # events are frozen
            return issued


class AlertUpdated(AlertEvent):
    """Newer content replaced the alert's content."""

    def evolve(self, state: AlertState) -> AlertState:
        return state.updated(
            self.channel, self.alert_message, self.originator_version, self.timestamp
        )


class OriginalLinked(AlertEvent):
    """A referenced original arrived after a message that references it; it is linked."""

    def evolve(self, state: AlertState) -> AlertState:
        return state.linked_original(
            self.channel, self.alert_message, self.originator_version, self.timestamp
        )


class MessageRecorded(AlertEvent):
    """A message kept in the alert's history without changing what it shows (e.g. outdated)."""

    reason: str

    def evolve(self, state: AlertState) -> AlertState:
        return state.recorded(
            self.channel, self.alert_message, self.originator_version, self.timestamp
        )


class AlertEnded(AlertEvent):
    """The alert ended (cancelled, resolved, found, ...)."""

    outcome: str
    reason: str | None

    def evolve(self, state: AlertState) -> AlertState:
        return state.ended_by(
            channel=self.channel,
            message=self.alert_message,
            outcome=Outcome(self.outcome),
            reason=self.reason,
            version=self.originator_version,
            at=self.timestamp,
        )


class PersonalDataErased(AlertEvent):
    """The alert's personal data was erased: its key destroyed, the named fields gone for good.

    `message` is the alert's current message as it reads afterwards, `fields` the patterns of
    `domain.personal` that were erased in every message of the alert.
    """

    erased_by: str
    reason: str
    fields: list[str]

    def evolve(self, state: AlertState) -> AlertState:
        erasure = Erasure(
            at=self.timestamp, by=self.erased_by, reason=self.reason, fields=self.fields
        )
        return state.erased(erasure, self.originator_version, self.timestamp)


ALERT_EVENTS: tuple[type[Aggregate.Event], ...] = (
    AlertIssued,
    AlertUpdated,
    OriginalLinked,
    MessageRecorded,
    AlertEnded,
    PersonalDataErased,
)


def evolve(state: AlertState | None, event: Aggregate.Event) -> AlertState:
    """Fold one alert event into a state (None before the first event)."""
    if isinstance(event, AlertIssued):
        return event.evolve()
    if state is None or not isinstance(event, AlertEvent):
        raise TypeError(f"cannot apply {type(event).__name__} to {state!r}")
    return event.fold(state)


class Alert(Aggregate):
    """One alert thread across every message and channel that speaks of it."""

    state: AlertState
    issued_by: str | None  # the partner that first issued it: only it may change the alert

    def __init__(
        self,
        channel: str,
        message: dict[str, Any],
        thread: str | None,
        provenance: dict[str, Any] | None,
    ) -> None:
        self.state = AlertState.issued(
            self.id,
            channel,
            AlertMessage.model_validate(message),
            self.created_on,
            thread,
            signature=_verdict(provenance),
        )
        self.issued_by = provenance["partner"] if provenance else None

    @classmethod
    def start(cls, alert_id: UUID, command: Command, provenance: Provenance = OPERATOR) -> Alert:
        """Open an alert with its first message; a Cancel seen first also ends it at once."""
        alert = cls._create(
            AlertIssued,
            id=alert_id,
            channel=command.channel,
            message=command.message.to_json(),
            thread=command.thread,
            provenance=provenance.to_json(),
        )
        if isinstance(command, EndAlert):
            alert.receive(command, provenance)
        return alert

    def receive(self, command: Command, provenance: Provenance = OPERATOR) -> None:
        """Decide what a further message does to this alert (rights are checked before)."""
        message, state = command.message, self.state
        payload = {
            "channel": command.channel,
            "message": message.to_json(),
            "provenance": provenance.to_json(),
        }
        if state.is_awaiting(message):
            self.trigger_event(OriginalLinked, **payload)
        elif isinstance(command, EndAlert):
            self._end(command, payload)
        elif state.ended is not None:
            if message.sent > state.ended.at:
                raise AlertEndedError(
                    f"alert {self.id} ended ({state.ended.outcome}) at {state.ended.at.isoformat()}"
                    f"; message {message.identifier} sent {message.sent.isoformat()} is later"
                )
            self.trigger_event(MessageRecorded, reason="outdated: sent before the end", **payload)
        elif message.sent < state.current.sent:
            self.trigger_event(
                MessageRecorded, reason="outdated: a newer message is shown", **payload
            )
        else:
            self.trigger_event(AlertUpdated, **payload)

    def erase_personal_data(
        self, *, by: str, reason: str, fields: list[str], provenance: Provenance = OPERATOR
    ) -> bool:
        """Record that the alert's personal data is erased; False if it already was (idempotent).

        `by` names who erased it in words (an administrator, `retention:<channel>`); `provenance`
        records how that one authenticated, as for every event.
        """
        if self.state.erasure is not None:
            return False
        self.trigger_event(
            PersonalDataErased,
            channel=self.state.origin.channel,
            message=erased(self.state.current.to_json(), fields),
            provenance=provenance.to_json(),
            erased_by=by,
            reason=reason,
            fields=sorted(fields),
        )
        return True

    def _end(self, command: EndAlert, payload: dict[str, Any]) -> None:
        if self.state.ended is not None:
            self.trigger_event(MessageRecorded, reason="the alert had already ended", **payload)
        else:
            self.trigger_event(
                AlertEnded, outcome=command.outcome.value, reason=command.reason, **payload
            )


class MessageReceived(Aggregate.Created):
    """The hub accepted a native message: its identity, content digest, alert and publisher."""

    alert_id: UUID
    digest: str
    provenance: dict[str, Any] | None

    class_version = 2
    upcast_v1_v2 = staticmethod(_no_provenance)


class MessageReceipt(Aggregate):
    """Remembers each message once, for idempotent ingest and for resolving references."""

    def __init__(self, alert_id: UUID, digest: str, provenance: dict[str, Any] | None) -> None:
        self.alert_id = alert_id
        self.digest = digest
        self.published_by = provenance["partner"] if provenance else None

    @classmethod
    def record(
        cls,
        receipt_id: UUID,
        alert_id: UUID,
        digest: str,
        provenance: Provenance = OPERATOR,
    ) -> MessageReceipt:
        return cls._create(
            MessageReceived,
            id=receipt_id,
            alert_id=alert_id,
            digest=digest,
            provenance=provenance.to_json(),
        )
