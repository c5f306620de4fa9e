"""The shared conformance suite every channel must pass (built-in or outside plugin).

Subclass `ChannelConformance` in a pytest module and set `channel`, `samples` (valid native
messages) and `malformed` (inputs the channel must refuse). It folds samples through the same
decision logic as the hub (`domain.inbox.Inbox`), in memory, and checks the contract:
round trip native -> canonical -> native, deterministic identity, idempotent re-parse and
re-post, renderings that parse back, only `InvalidMessageError` for hostile input (fuzzed), and
a personal-data declaration the hub can apply: an alert whose declared fields are erased still
renders, with none of the erased text left in its view.
Needs the `test` extra (pytest, hypothesis).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import Channel, PersonalData
from domain.errors import InvalidMessageError
from domain.inbox import Inbox
from domain.model import AlertMessage
from domain.personal import ERASED, locate, read
from domain.state import AlertState, Erasure

NOW = datetime(2030, 1, 1, tzinfo=UTC)  # after every sample, so vanished items end "now"


@dataclass(frozen=True)
class Sample:
    body: bytes
    media_type: str
    name: str = ""

    @classmethod
    def from_file(cls, path: str | Path, media_type: str) -> Sample:
        path = Path(path)
        return cls(path.read_bytes(), media_type, path.name)


def fold(channel: Channel, samples: Iterable[Sample], inbox: Inbox | None = None) -> Inbox:
    """Post samples in order to an in-memory hub; returns it with every alert's state."""
    inbox = inbox or Inbox()
    for sample in samples:
        instructions = channel.parse(sample.body, sample.media_type)
        inbox.apply_all(instructions, now=NOW)
    return inbox


def native_messages(state: AlertState) -> list[dict[str, Any]]:
    """The messages that came from native input (not the hub's own 'vanished' Cancels)."""
    return [m.to_json() for m in state.messages if not _synthetic(m)]


def _native_keys(state: AlertState) -> set[str]:
    return {m.key for m in state.messages if not _synthetic(m)}


def _synthetic(message: AlertMessage) -> bool:
    return message.identifier.endswith(".vanished")


class ChannelConformance:
    channel: ClassVar[Channel]
    samples: ClassVar[Sequence[Sample]]
    malformed: ClassVar[Sequence[Sample]] = ()

    def _own_alerts(self, inbox: Inbox) -> list[AlertState]:
        return [
            a.state for a in inbox.alerts.values() if a.state.origin.channel == self.channel.name
        ]

    def test_meets_the_contract(self) -> None:
        """The plugin names itself, accepts media types, and has samples in them."""
        assert isinstance(self.channel, Channel)
        assert self.channel.name
        assert self.channel.media_types
        assert self.samples, "a channel must ship at least one sample"
        for sample in self.samples:
            assert sample.media_type in self.channel.media_types, sample.name

    def test_declares_its_personal_data(self) -> None:
        """The channel says which canonical fields (and native parts) may hold personal data."""
        declared = self.channel.personal_data
        assert isinstance(declared, PersonalData)
        assert declared.native, "name the native parts the personal fields come from"

    def test_erased_alerts_still_render(self) -> None:
        """With its declared fields erased, every alert renders, and no erased text is left."""
        fields = list(self.channel.personal_data.fields)
        inbox = fold(self.channel, self.samples)
        for alert in inbox.alerts.values():
            state = alert.state
            secrets = {
                read(m.to_json(), path)
                for m in state.messages
                for path in locate(m.to_json(), fields)
                if len(read(m.to_json(), path)) > 12
            }
            erasure = Erasure(at=NOW, by="conformance", reason="test", fields=fields)
            gone = state.erased(erasure, state.version + 1, NOW)
            if not self.channel.selects(gone):
                continue
            native = json.dumps(self.channel.render(gone).native, ensure_ascii=False)
            assert not [s for s in secrets if s in native and s != ERASED], state.alert_id

    def test_every_sample_parses(self) -> None:
        """Every sample yields at least one instruction."""
        for sample in self.samples:
            assert self.channel.parse(sample.body, sample.media_type), sample.name

    def test_reparse_is_idempotent(self) -> None:
        """Parsing is pure: the same bytes give the same commands."""
        for sample in self.samples:
            first = self.channel.parse(sample.body, sample.media_type)
            assert first == self.channel.parse(sample.body, sample.media_type), sample.name

    def test_identity_is_deterministic(self) -> None:
        """Two independent hubs fed the same samples agree on every alert id and state."""
        one, two = fold(self.channel, self.samples), fold(self.channel, self.samples)
        assert set(one.alerts) == set(two.alerts)
        for aid, alert in one.alerts.items():
            assert native_messages(alert.state) == native_messages(two.alerts[aid].state)

    def test_reposting_adds_nothing(self) -> None:
        """Posting every sample again is all duplicates and changes no alert."""
        inbox = fold(self.channel, self.samples)
        versions = {aid: a.version for aid, a in inbox.alerts.items()}
        before = inbox.duplicates
        fold(self.channel, self.samples, inbox)
        assert {aid: a.version for aid, a in inbox.alerts.items()} == versions
        assert inbox.duplicates > before

    def test_round_trip(self) -> None:
        """native -> canonical -> native -> canonical: same alert, same content, same ending.

        The rendering's body is posted to a fresh hub; the alert it opens must be the same alert
        showing the same current message (a format that carries history, like a Burgernet action,
        may bring more of it back; a single-item format brings back the current one).
        """
        inbox = fold(self.channel, self.samples)
        own = self._own_alerts(inbox)
        assert own, "the samples opened no alert of this channel"
        for state in own:
            rendering = self.channel.render(state)
            again = fold(self.channel, [Sample(rendering.body, rendering.media_type)])
            assert state.alert_id in again.alerts, f"rendering of {state.alert_id} is another alert"
            copy = again.alerts[state.alert_id].state
            if not _synthetic(state.current):
                assert copy.current.to_json() == state.current.to_json()
            assert _native_keys(copy) <= _native_keys(state)
            if state.ended is not None and not _synthetic(state.messages[-1]):
                assert copy.ended is not None
                assert copy.ended.outcome == state.ended.outcome

    def test_renderings_are_json_and_parse(self) -> None:
        """Every selected alert renders to JSON-able native content and a parseable body."""
        inbox = fold(self.channel, self.samples)
        for alert in inbox.alerts.values():
            if not self.channel.selects(alert.state):
                continue
            rendering = self.channel.render(alert.state)
            json.dumps(rendering.native)
            assert all(isinstance(name, str) for name in rendering.lost)
            self.channel.parse(rendering.body, rendering.media_type)

    def test_malformed_input_is_refused(self) -> None:
        """Each malformed sample raises the contract's error, naming what is wrong."""
        for sample in self.malformed:
            with pytest.raises(InvalidMessageError) as caught:
                self.channel.parse(sample.body, sample.media_type)
            assert str(caught.value), sample.name

    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
    )
    @given(data=st.data())
    def test_fuzzed_input_raises_only_the_contract_error(self, data: st.DataObject) -> None:
        """Random bytes and mutated samples either parse or raise InvalidMessageError."""
        sample = data.draw(st.sampled_from(list(self.samples)))
        body = data.draw(
            st.one_of(
                st.binary(max_size=2048),
                _mutations(sample.body),
            )
        )
        with contextlib.suppress(InvalidMessageError):
            self.channel.parse(body, sample.media_type)


def _mutations(body: bytes) -> st.SearchStrategy[bytes]:
    """A sample with a slice replaced by random bytes: near-valid input finds the deep bugs."""
    size = max(len(body), 1)
    return st.builds(
        lambda start, length, junk: body[:start] + junk + body[start + length :],
        st.integers(0, size - 1),
        st.integers(0, 64),
        st.one_of(
            st.binary(max_size=32),
            st.sampled_from([b"", b"null", b"-1", b"1e309", b'"', b"{}", b"[]", b"\xff\xfe"]),
        ),
    )
