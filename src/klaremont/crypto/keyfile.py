"""The key file: owner-only on disk, validated on load, rewritten atomically under a lock.

Format (JSON)::

    {"version": 1, "active": "kek-20261124-1a2b",
     "keks": {"kek-20261124-1a2b": "<base64>"}, "index_key": "<base64>"}

A key file that group or others may access is refused. Every write goes to a fresh 0600
temp file (``O_EXCL``) that is fsynced and then renamed or hard-linked into place, and the
directory is fsynced, so a crash never leaves a half-written key file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

KEY_BYTES = 32
KEY_FILE_VERSION = 1
FILE_MODE = 0o600
DIR_MODE = 0o700
_KEK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
FileSignature = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class KeySet:
    """An immutable snapshot of a key ring; replaced whole, so readers never see half a change."""

    active: str
    keks: Mapping[str, bytes] = field(repr=False)
    index_key: bytes = field(repr=False)
    aeads: Mapping[str, AESGCM] = field(repr=False, compare=False)

    @classmethod
    def build(
        cls, active: str, keks: Mapping[str, bytes], index_key: bytes, *, where: str
    ) -> KeySet:
        """Validate the material (``where`` names its source in errors) and prepare ciphers."""
        check_keyset(active, keks, index_key, where=where)
        return cls(
            active=active,
            keks=dict(keks),
            index_key=index_key,
            aeads={kek_id: AESGCM(key) for kek_id, key in keks.items()},
        )

    def serialise(self) -> bytes:
        """The key file's bytes."""
        payload = {
            "version": KEY_FILE_VERSION,
            "active": self.active,
            "keks": {k: _b64text(v) for k, v in sorted(self.keks.items())},
            "index_key": _b64text(self.index_key),
        }
        return (json.dumps(payload, indent=2) + "\n").encode("ascii")


def check_keyset(active: str, keks: Mapping[str, bytes], index_key: bytes, *, where: str) -> None:
    """Refuse missing, malformed or wrongly sized keys, naming ids but never key bytes."""
    if not keks:
        raise ConfigurationError(f"{where}: no key-encryption keys")
    for kek_id, key in keks.items():
        if not _KEK_ID.match(kek_id):
            raise ConfigurationError(f"{where}: {kek_id!r} is not a valid key id")
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"{where}: key {kek_id!r} is not {KEY_BYTES} bytes")
    if active not in keks:
        raise ConfigurationError(f"{where}: the active key {active!r} is not among the keys")
    if len(index_key) != KEY_BYTES:
        raise ConfigurationError(f"{where}: the blind-index key is not {KEY_BYTES} bytes")


def signature(st: os.stat_result) -> FileSignature:
    """What changes when the file is rewritten (checked with one cheap ``stat``)."""
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def read_key_file(path: Path) -> tuple[KeySet, FileSignature]:
    """Read and validate the key file; its mode is checked on the open descriptor."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise ConfigurationError(f"key file {path} does not exist") from None
    except PermissionError:
        raise ConfigurationError(f"key file {path} cannot be read by this user") from None
    with os.fdopen(fd, "rb") as handle:
        st = os.fstat(handle.fileno())
        mode = stat.S_IMODE(st.st_mode)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigurationError(f"key file {path} is not a regular file")
        if mode & 0o077:
            raise ConfigurationError(
                f"key file {path} has mode {mode:04o}: group or others may access it; "
                f"restrict it to its owner (chmod 600 {path}) and consider rotating its keys"
            )
        raw = handle.read()
    where = f"key file {path}"
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ConfigurationError(f"{where} is not valid JSON") from None
    if not isinstance(data, dict) or data.get("version") != KEY_FILE_VERSION:
        raise ConfigurationError(f"{where}: expected an object with version {KEY_FILE_VERSION}")
    keks_raw, active, index_raw = data.get("keks"), data.get("active"), data.get("index_key")
    if not (isinstance(keks_raw, dict) and isinstance(active, str) and isinstance(index_raw, str)):
        raise ConfigurationError(f"{where}: needs 'active', 'keks' and 'index_key'")
    keks = {str(k): _b64(v, f"{where}: key {k!r}") for k, v in keks_raw.items()}
    index_key = _b64(index_raw, f"{where}: index_key")
    return KeySet.build(active, keks, index_key, where=where), signature(st)


def create_key_file(path: Path, keyset: KeySet) -> None:
    """Write a new key file (directory made 0700); if one appeared meanwhile, keep it."""
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        path.parent.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    with contextlib.suppress(FileExistsError):  # another process won the race: use its file
        write_atomically(path, keyset.serialise(), replace=False)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an advisory lock on ``<path>.lock`` so processes change the key file in turn."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomically(path: Path, data: bytes, *, replace: bool) -> FileSignature:
    """Write ``data`` to ``path`` all-or-nothing, mode 0600; returns the new file's signature.

    The bytes go to a fresh temp file (``O_EXCL``, 0600) that is fsynced, then renamed over
    ``path`` (``replace=True``) or hard-linked to it (``replace=False``: fails with
    ``FileExistsError`` if ``path`` exists, so a first start never overwrites keys).
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            written = signature(os.fstat(handle.fileno()))  # rename and link keep the inode
        if replace:
            tmp.replace(path)
        else:
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return written


def _b64text(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _b64(value: object, where: str) -> bytes:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise ConfigurationError(f"{where} is not base64 text")
