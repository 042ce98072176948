"""Key-encryption keys: the key file, wrapping, rotation, retirement, and no key leaks."""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import stat
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from klaremont.config import Settings
from klaremont.crypto.errors import CiphertextIntegrityError, KeyRetirementRefused, UnknownKey
from klaremont.crypto.keyring import KeyRing
from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

    from klaremont.clock import ManualClock

DATA_KEY = bytes(range(32))
AAD = b"subject-1\x00v1"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _key_texts(path: Path) -> list[str]:
    data = json.loads(path.read_text())
    return [*data["keks"].values(), data["index_key"]]


@pytest.mark.policy("IS-SENS-SAFE")
def test_first_start_creates_owner_only_key_file(tmp_path: Path, key_clock: ManualClock) -> None:
    """On first start the key file is created 0600 in a 0700 directory, with one active KEK."""
    settings = Settings(var_dir=tmp_path / "var")
    ring = KeyRing.from_settings(settings, clock=key_clock)
    path = tmp_path / "var" / "keys" / "kek.json"
    assert ring.key_file == path
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    data = json.loads(path.read_text())
    assert data["version"] == 1
    assert data["active"] == ring.active_id
    assert re.fullmatch(r"kek-20260302-[0-9a-f]{4}", ring.active_id)
    assert len(base64.b64decode(data["index_key"])) == 32
    assert sorted(p.name for p in path.parent.iterdir()) == ["kek.json"]


@pytest.mark.policy("IS-SENS-SAFE")
def test_key_file_is_private_even_with_a_permissive_umask(key_file: Path) -> None:
    """A umask of 000 still yields a 0600 key file and a 0700 directory."""
    previous = os.umask(0)
    try:
        KeyRing.load_or_create(key_file)
    finally:
        os.umask(previous)
    assert _mode(key_file) == 0o600
    assert _mode(key_file.parent) == 0o700


@pytest.mark.policy("IS-SENS-SAFE")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_file_readable_by_others_is_refused(
    keyring: KeyRing, key_file: Path, mode: int
) -> None:
    """A key file that group or others may read is refused, naming the file and its mode."""
    key_file.chmod(mode)
    with pytest.raises(ConfigurationError) as caught:
        KeyRing.load(key_file)
    detail = caught.value.detail
    assert str(key_file) in detail
    assert f"{mode:04o}" in detail
    assert not any(text in detail for text in _key_texts(key_file))


def test_second_start_loads_the_same_keys(keyring: KeyRing, key_file: Path) -> None:
    """A key ring loaded from the existing file unwraps what the first one wrapped."""
    kek_id, wrapped = keyring.wrap(DATA_KEY, AAD)
    again = KeyRing.load_or_create(key_file)
    assert again.active_id == keyring.active_id
    assert again.index_key == keyring.index_key
    assert again.unwrap(kek_id, wrapped, AAD) == DATA_KEY


def test_wrapped_key_is_bound_to_its_associated_data(keyring: KeyRing) -> None:
    """Unwrapping with other associated data, altered bytes or truncated bytes fails."""
    kek_id, wrapped = keyring.wrap(DATA_KEY, AAD)
    assert len(wrapped) == 12 + 32 + 16
    with pytest.raises(CiphertextIntegrityError):
        keyring.unwrap(kek_id, wrapped, b"subject-2\x00v1")
    altered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(CiphertextIntegrityError):
        keyring.unwrap(kek_id, altered, AAD)
    with pytest.raises(CiphertextIntegrityError):
        keyring.unwrap(kek_id, wrapped[:20], AAD)


def test_kek_from_settings_needs_no_file(tmp_path: Path) -> None:
    """``KLAREMONT_KEK`` gives one KEK with a stable id and an HKDF-derived index key."""
    kek = os.urandom(32)
    settings = Settings(var_dir=tmp_path, kek=SecretStr(base64.b64encode(kek).decode()))
    ring = KeyRing.from_settings(settings)
    assert ring.key_file is None
    assert not (tmp_path / "keys").exists()
    assert re.fullmatch(r"kek-env-[0-9a-f]{8}", ring.active_id)
    expected_index = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"klaremont blind index v1"
    ).derive(kek)
    assert ring.index_key == expected_index != kek
    twin = KeyRing.from_settings(settings)
    assert twin.active_id == ring.active_id
    assert twin.unwrap(*ring.wrap(DATA_KEY, AAD), AAD) == DATA_KEY


@pytest.mark.parametrize("bad", ["not base64 at all!", base64.b64encode(b"short").decode()])
def test_malformed_kek_setting_is_refused_without_echoing_it(tmp_path: Path, bad: str) -> None:
    """A KEK setting that is not 32 bytes of base64 is refused and not repeated in the error."""
    with pytest.raises(ConfigurationError) as caught:
        KeyRing.from_settings(Settings(var_dir=tmp_path, kek=SecretStr(bad)))
    assert "KLAREMONT_KEK" in caught.value.detail
    assert bad not in caught.value.detail


def test_kek_from_settings_cannot_be_rotated(tmp_path: Path) -> None:
    """Rotation needs a key file: with ``KLAREMONT_KEK`` it is refused with the reason."""
    ring = KeyRing.from_kek(base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(ConfigurationError, match="KLAREMONT_KEK"):
        ring.rotate()


@pytest.mark.policy("DP-SECURE")
def test_rotation_adds_an_active_kek_and_keeps_the_old_one(
    keyring: KeyRing, key_file: Path, key_clock: ManualClock
) -> None:
    """Rotation persists a new active KEK (file stays 0600); old wrapped keys still unwrap."""
    old_id, wrapped = keyring.wrap(DATA_KEY, AAD)
    new_id = keyring.rotate()
    assert new_id != old_id
    assert keyring.active_id == new_id
    assert set(keyring.kek_ids) == {old_id, new_id}
    assert _mode(key_file) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["kek.json", "kek.json.lock"]
    reloaded = KeyRing.load(key_file)
    assert reloaded.active_id == new_id
    assert reloaded.index_key == keyring.index_key
    assert reloaded.unwrap(old_id, wrapped, AAD) == DATA_KEY
    assert keyring.wrap(DATA_KEY, AAD)[0] == new_id


def test_retirement_refuses_the_active_kek_and_removes_others(
    keyring: KeyRing, key_file: Path
) -> None:
    """The active KEK cannot be retired; a retired KEK is gone and its keys are unknown."""
    old_id, wrapped = keyring.wrap(DATA_KEY, AAD)
    with pytest.raises(KeyRetirementRefused, match="active"):
        keyring.retire(old_id)
    keyring.rotate()
    keyring.retire(old_id)
    assert old_id not in keyring.kek_ids
    assert old_id not in KeyRing.load(key_file).kek_ids
    with pytest.raises(UnknownKey, match=old_id):
        keyring.unwrap(old_id, wrapped, AAD)
    with pytest.raises(UnknownKey):
        keyring.retire("kek-19990101-0000")


def test_rotation_by_another_process_is_picked_up(keyring: KeyRing, key_file: Path) -> None:
    """A ring sharing the key file sees another process's rotation on its next wrap or unwrap."""
    other = KeyRing.load(key_file)
    new_id = other.rotate()
    kek_id, wrapped = other.wrap(DATA_KEY, AAD)
    assert keyring.unwrap(kek_id, wrapped, AAD) == DATA_KEY
    assert keyring.wrap(DATA_KEY, AAD)[0] == new_id


def test_concurrent_rotations_keep_every_kek(keyring: KeyRing, key_file: Path) -> None:
    """Two rings rotating the same file in turn never lose each other's KEKs."""
    other = KeyRing.load(key_file)
    first = keyring.rotate()
    second = other.rotate()
    assert {first, second} <= set(KeyRing.load(key_file).kek_ids)
    assert len(KeyRing.load(key_file).kek_ids) == 3


def test_no_key_material_in_repr_str_or_pickle(keyring: KeyRing, key_file: Path) -> None:
    """repr and str show ids and counts only, and a key ring refuses to be pickled."""
    shown = repr(keyring) + str(keyring)
    assert keyring.active_id in shown
    assert not any(text in shown for text in _key_texts(key_file))
    assert keyring.index_key.hex() not in shown
    with pytest.raises(TypeError):
        pickle.dumps(keyring)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ('{"version": 2}', "version 1"),
        ('{"version": 1, "active": "k", "keks": {}, "index_key": ""}', "no key-encryption keys"),
        ('{"version": 1, "active": "kek-a", "keks": {"kek-a": "!!"}, "index_key": ""}', "base64"),
    ],
)
def test_damaged_key_file_is_refused(key_file: Path, content: str, reason: str) -> None:
    """A key file that is not valid is refused with a reason and the file's name."""
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(content)
    key_file.chmod(0o600)
    with pytest.raises(ConfigurationError, match=reason) as caught:
        KeyRing.load_or_create(key_file)
    assert str(key_file) in caught.value.detail
