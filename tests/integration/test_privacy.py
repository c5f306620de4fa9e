"""Personal data on real SQLite files: sealed at rest, erased by destroying the key, retention.

The embedded hub (no Kafka): the Kafka topic's bytes are checked by the end-to-end test.
"""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.alert import PersonalDataErased
from domain.errors import AlertNotFoundError
from domain.partner import PartnerRights
from domain.personal import ERASED, SEALED
from domain.provenance import OPERATOR
from hub.bootstrap import Hub
from hub.privacy.keystore import KeyStoreCorruptError, MasterKeyError
from hub.privacy.setup import open_key_store
from hub.security.recheck import originals
from projections.alerts import alert_document, get_alert
from tests.conftest import HubFactory
from tests.privacy_helpers import burgernet_action, files_holding, rebuild_all, unique_person

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def post(hub: Hub, body: bytes) -> UUID:
    result = hub.service.ingest("burgernet", body, "application/json")
    hub.follower.catch_up()
    return result.accepted[0].alert_id


def document(hub: Hub, alert_id: UUID) -> str:
    state = get_alert(hub.views.connect(), alert_id)
    assert state is not None
    return str(alert_document(state, NOW))


def test_personal_fields_are_only_ciphertext_on_disk(make_hub: HubFactory) -> None:
    """Readers see the person; the event store file holds only ciphertext and markers."""
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person))
    assert person in document(hub, alert_id)
    assert person in str(hub.store.repository.get(alert_id).state.current)
    data = hub.settings.data_dir
    assert files_holding(data, person) == [data / "views.sqlite-wal"]  # the views, only
    kept = [base64.b64decode(o.body) for o in originals(hub.store)]  # for signature re-checks
    assert len(kept) == 1
    assert person.encode() in kept[0]
    assert files_holding(data, SEALED)[0].name.startswith("events.sqlite")
    assert files_holding(data, "Amersfoort")  # non-personal fields stay readable for statistics


def test_erasure_reaches_the_history_the_views_keep(make_hub: HubFactory) -> None:
    """As of before the erasure: the alert reads scrubbed, a channel's rendering reads erased."""
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, ended=True))
    before = datetime.now(UTC)
    assert hub.eraser.erase(alert_id, by="admin:test", reason="closed case") is not None
    hub.follower.catch_up()
    then = hub.reads.alert(alert_id, as_of=before)
    assert then is not None
    assert person not in then.model_dump_json()
    assert then.current.info[0].areas[0].description == "Amersfoort"  # statistics kept
    shown = hub.reads.view("burgernet", None, as_of=before, limit=1000).items
    (item,) = [i for i in shown if i["alert_id"] == str(alert_id)]
    assert (item["native"], item["lost"]) == ({}, [ERASED])
    incident = hub.reads.incidents(None, as_of=before).items[0]
    assert person not in str(incident)


def test_erasure_leaves_no_byte_and_keeps_the_statistics(make_hub: HubFactory) -> None:
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, ended=True))
    erased = hub.eraser.erase(alert_id, by="admin:test", reason="closed case")
    assert erased is not None
    assert erased.recorded
    hub.follower.catch_up()

    assert files_holding(hub.settings.data_dir, person) == []
    shown = document(hub, alert_id)
    assert person not in shown
    assert ERASED in shown
    state = get_alert(hub.views.connect(), alert_id)
    assert state is not None
    assert state.erasure is not None
    assert (state.erasure.by, state.erasure.reason) == ("admin:test", "closed case")
    assert state.ended is not None
    assert state.current.info[0].areas[0].description == "Amersfoort"
    assert all(person not in m.model_dump_json() for m in state.messages)
    events = list(hub.store.events.get(alert_id))
    assert all(person not in str(vars(e)) for e in events)  # replay from the store: erased
    assert [o.body for o in originals(hub.store)] == [""]  # the bytes as received: gone too


def test_erasing_twice_records_one_event(make_hub: HubFactory) -> None:
    hub = make_hub()
    alert_id = post(hub, burgernet_action(unique_person()))
    first = hub.eraser.erase(alert_id, by="a", reason="r")
    again = hub.eraser.erase(alert_id, by="b", reason="again")
    assert first is not None
    assert again is not None
    assert (first.recorded, again.recorded) == (True, False)
    events = list(hub.store.events.get(alert_id))
    assert [type(e) for e in events].count(PersonalDataErased) == 1


def test_an_unknown_alert_cannot_be_erased(make_hub: HubFactory) -> None:
    hub = make_hub()
    with pytest.raises(AlertNotFoundError):
        hub.eraser.erase(uuid4(), by="admin", reason="typo")


def test_a_rebuild_after_erasure_shows_it_erased(make_hub: HubFactory) -> None:
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, ended=True))
    hub.eraser.erase(alert_id, by="admin", reason="closed")
    hub.follower.catch_up()
    rebuild_all(hub)
    shown = document(hub, alert_id)
    assert ERASED in shown
    assert person not in shown
    assert files_holding(hub.settings.data_dir, person) == []


def test_what_arrives_after_the_erasure_is_never_kept(make_hub: HubFactory) -> None:
    """A later message of an erased alert is stored with its personal fields erased at once."""
    hub = make_hub()
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, action_id=12345678))
    hub.eraser.erase(alert_id, by="admin", reason="request of the family")
    update = f"{person} is gezien bij het station."
    assert post(hub, burgernet_action(person, update=update, action_id=12345678)) == alert_id
    assert files_holding(hub.settings.data_dir, person) == []
    state = get_alert(hub.views.connect(), alert_id)
    assert state is not None
    assert state.current.info[0].description == ERASED


def test_retention_erases_by_itself(make_hub: HubFactory) -> None:
    """An ended Burgernet alert past its channel's period is erased by the worker, on record."""
    hub = make_hub(
        retention={"burgernet": timedelta(seconds=1)}, retention_interval=0.05, run_projector=True
    )
    person = unique_person()
    alert_id = post(hub, burgernet_action(person, ended=True))
    kept = post(hub, burgernet_action(unique_person()))  # not ended: kept
    assert [d.alert_id for d in hub.eraser.candidates()] == [alert_id]
    hub.start()
    assert hub.wait_for_views(hub.store.max_position(), 5)
    for _ in range(200):
        state = get_alert(hub.views.connect(), alert_id)
        if state is not None and state.erasure is not None:
            break
        hub.workers[-1].wake()
        time.sleep(0.05)
    assert state is not None
    assert state.erasure is not None
    assert state.erasure.by == "retention:burgernet"
    for _ in range(100):  # the projector scrubs the WAL right after applying the erasure
        if not files_holding(hub.settings.data_dir, person):
            break
        time.sleep(0.05)
    assert files_holding(hub.settings.data_dir, person) == []
    assert get_alert(hub.views.connect(), kept).erasure is None  # type: ignore[union-attr]
    assert hub.eraser.candidates() == []


def test_the_master_key_file_is_made_private(make_hub: HubFactory) -> None:
    hub = make_hub()
    mode = stat.S_IMODE((hub.settings.data_dir / "master.key").stat().st_mode)
    assert mode == 0o600


def test_a_missing_master_key_stops_the_start(make_hub: HubFactory) -> None:
    hub = make_hub()
    post(hub, burgernet_action(unique_person()))
    hub.close()
    (hub.settings.data_dir / "master.key").unlink()
    with pytest.raises(MasterKeyError, match="no master key"):
        make_hub()


def test_a_wrong_master_key_stops_the_start(make_hub: HubFactory) -> None:
    make_hub().close()
    with pytest.raises(MasterKeyError, match="does not open"):
        make_hub(master_key="QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=")


def test_a_master_key_readable_by_others_is_refused(make_hub: HubFactory) -> None:
    hub = make_hub()
    hub.close()
    os.chmod(hub.settings.data_dir / "master.key", 0o644)
    with pytest.raises(MasterKeyError, match="chmod 600"):
        make_hub()


def test_serve_refuses_to_start_with_a_wrong_master_key(make_hub: HubFactory) -> None:
    """The command says why, and exits non-zero, before it binds a port."""
    hub = make_hub()
    hub.close()
    wrong = base64.b64encode(bytes(32)).decode()
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "serve", "--port", "0"],
        env=os.environ
        | {"ALERTHUB_DATA_DIR": str(hub.settings.data_dir), "ALERTHUB_MASTER_KEY": wrong},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "MasterKeyError" in done.stdout + done.stderr
    assert "does not open this key store" in done.stdout + done.stderr


def test_a_corrupt_key_store_is_never_recreated(make_hub: HubFactory) -> None:
    hub = make_hub()
    post(hub, burgernet_action(unique_person()))
    hub.close()
    keys = hub.settings.data_dir / "keys.sqlite"
    keys.write_bytes(b"not a database" * 100)
    with pytest.raises(KeyStoreCorruptError):
        make_hub()
    assert keys.read_bytes().startswith(b"not a database")  # left as it was, for a restore


def test_a_lost_key_store_is_never_recreated(make_hub: HubFactory) -> None:
    hub = make_hub()
    post(hub, burgernet_action(unique_person()))
    hub.close()
    for path in hub.settings.data_dir.glob("keys.sqlite*"):
        path.unlink()
    with pytest.raises(KeyStoreCorruptError, match="holds sealed events"):
        make_hub()
    assert not (hub.settings.data_dir / "keys.sqlite").exists()


def test_an_event_store_from_before_sealing_gets_a_new_key_store(make_hub: HubFactory) -> None:
    """Events but no sealed ones (partners only, or a hub from before sealing): nothing is lost
    by a new key store, so the hub makes one rather than refusing to start."""
    hub = make_hub()
    hub.registry.add("vr13", PartnerRights(channels=frozenset({"cap"})), OPERATOR.to_json())
    hub.close()
    for path in hub.settings.data_dir.glob("keys.sqlite*"):
        path.unlink()
    (hub.settings.data_dir / "master.key").unlink()
    again = make_hub()
    assert again.registry.partner_named("vr13") is not None
    assert (again.settings.data_dir / "keys.sqlite").exists()


def test_a_lost_key_store_is_noticed_in_a_relative_data_dir(
    make_hub: HubFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make run` keeps its files in the relative `var`: the check must read the store there too."""
    hub = make_hub()
    post(hub, burgernet_action(unique_person()))
    hub.close()
    for path in hub.settings.data_dir.glob("keys.sqlite*"):
        path.unlink()
    monkeypatch.chdir(hub.settings.data_dir.parent)
    relative = hub.settings.model_copy(update={"data_dir": Path(hub.settings.data_dir.name)})
    with pytest.raises(KeyStoreCorruptError, match="holds sealed events"):
        open_key_store(relative)
