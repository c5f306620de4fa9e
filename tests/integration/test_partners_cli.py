"""`alerthub partners ...` on a real data directory: keys shown once, stored hashed, on record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.errors import UnauthenticatedError
from hub.bootstrap import bootstrap
from hub.cli.main import main
from hub.settings import Settings


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_partner_lifecycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    key = _run(
        capsys, "partners", "add", "vr13", "--channel", "cap", "--sender", "vr13@nl", *data
    ).strip()
    assert key.startswith("ahk_")
    assert len(key) > 50
    listed = json.loads(_run(capsys, "partners", "list", *data))
    assert [p["name"] for p in listed] == ["vr13"]
    assert listed[0]["channels"] == ["cap"]
    assert listed[0]["senders"] == ["vr13@nl"]
    assert key not in (tmp_path / "events.sqlite").read_bytes().decode("latin-1")

    _run(capsys, "partners", "grant", "vr13", "--channel", "cap", "--channel", "nlalert", *data)
    granted = json.loads(_run(capsys, "partners", "show", "vr13", *data))
    assert granted["channels"] == ["cap", "nlalert"]
    assert granted["senders"] == []
    new_key = _run(capsys, "partners", "rotate-key", "vr13", *data).strip()
    assert new_key != key
    hub = bootstrap(Settings(data_dir=tmp_path), configure_logs=False)
    try:
        assert hub.registry.authenticate_key(new_key)[0].name == "vr13"
        with pytest.raises(UnauthenticatedError):
            hub.registry.authenticate_key(key)
        _run(capsys, "partners", "revoke", "vr13", *data)
        with pytest.raises(UnauthenticatedError):
            hub.registry.authenticate_key(new_key)  # the running hub sees the revocation
    finally:
        hub.close()

    shown = json.loads(_run(capsys, "partners", "show", "vr13", *data))
    assert shown["revoked"] is True
    assert [h["type"] for h in shown["history"]] == [
        "PartnerRegistered",
        "PartnerRightsGranted",
        "PartnerKeyRotated",
        "PartnerRevoked",
    ]
    assert all(h["by"]["auth_method"] == "local" for h in shown["history"])


def test_refusals_exit_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = ["--data-dir", str(tmp_path)]
    _run(capsys, "partners", "add", "vr13", "--channel", "cap", *data)
    assert main(["partners", "add", "vr13", "--channel", "cap", *data]) == 2
    assert main(["partners", "show", "nobody", *data]) == 2
    assert main(["partners", "add", "Bad Name", "--channel", "cap", *data]) != 0
