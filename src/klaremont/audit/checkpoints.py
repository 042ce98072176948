"""Signed checkpoints: the chain head, signed with Ed25519 and kept outside the database.

A checkpoint ``{seq, hash, at, key_id, sig}`` says "event ``seq`` had hash ``hash``". The
chain makes each hash commit to every event before it, so one genuine checkpoint vouches
for the whole log up to its ``seq``: someone with database access alone can neither delete
the tail (the table would end before a checkpoint) nor rebuild the chain (a checkpoint's
hash would differ) without the signing key. Checkpoints are JSON lines appended with
``O_APPEND`` and ``fsync``; the signature covers ``DOMAIN + canonical JSON`` of the other
four fields.

The signing key is an Ed25519 private key (PKCS#8 PEM), created on first use with mode
0600 in a 0700 directory and refused when group or world can read it. Its public key is
written beside it as ``<key file>.pub``. Every ``*.pub`` in that directory whose name
starts with the key file's stem is trusted, so a retired key's public half keeps old
checkpoints verifiable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from klaremont.errors import ConfigurationError

if TYPE_CHECKING:
    from pathlib import Path

DOMAIN = b"klaremont-audit-checkpoint-v1\n"
PRIVATE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
_HEX = frozenset("0123456789abcdef")


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """A short stable name for a public key: the first 16 hex digits of its SHA-256."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _refuse_if_exposed(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"audit signing key {path} is readable by group or others "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def _write_new_key(path: Path, key: Ed25519PrivateKey | None = None) -> None:
    """Create the key file atomically; if another process won the race, keep theirs."""
    key = key or Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def load_or_create_signing_key(path: Path, *, seed: bytes | None = None) -> Ed25519PrivateKey:
    """Load the signing key, creating it (0600, in a 0700 directory) on first use: random,
    or from a 32-byte ``seed`` (a sanitised copy's key, derived from its run key)."""
    if not path.exists():
        path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        made = None if seed is None else Ed25519PrivateKey.from_private_bytes(seed)
        _write_new_key(path, made)
    _refuse_if_exposed(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"audit signing key {path} is not an Ed25519 private key")
    public_path = path.with_name(path.name + ".pub")
    if not public_path.exists():
        public_path.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return key


def load_trusted_keys(key_path: Path) -> dict[str, Ed25519PublicKey]:
    """Public keys trusted for checkpoints: ``<stem>*.pub`` beside the signing key."""
    trusted: dict[str, Ed25519PublicKey] = {}
    if not key_path.parent.is_dir():
        return trusted
    for candidate in sorted(key_path.parent.glob(f"{key_path.stem}*.pub")):
        key = serialization.load_pem_public_key(candidate.read_bytes())
        if isinstance(key, Ed25519PublicKey):
            trusted[key_id_of(key)] = key
    return trusted


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement of the chain head; ``line`` is its 1-based line in the file."""

    seq: int
    hash: str
    at: str
    key_id: str
    sig: str
    line: int = 0

    def message(self) -> bytes:
        """The signed bytes."""
        body = {"at": self.at, "hash": self.hash, "key_id": self.key_id, "seq": self.seq}
        return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_line(self) -> bytes:
        """The JSON line written to the checkpoint file."""
        body = {
            "at": self.at,
            "hash": self.hash,
            "key_id": self.key_id,
            "seq": self.seq,
            "sig": self.sig,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode() + b"\n"

    def signature_valid(self, key: Ed25519PublicKey) -> bool:
        """True when ``sig`` is ``key``'s signature over this checkpoint."""
        return signature_valid(key, self.sig, self.message())


class CheckpointSigner:
    """Signs chain heads with the audit signing key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = key.public_key()
        self.key_id = key_id_of(self.public_key)

    def sign_message(self, message: bytes) -> str:
        """The base64 Ed25519 signature of ``message`` (which carries its own domain prefix,
        e.g. an archive manifest line's)."""
        return base64.b64encode(self._key.sign(message)).decode("ascii")

    def sign(self, seq: int, chain_hash: str, at: str) -> Checkpoint:
        """A checkpoint for the head ``(seq, chain_hash)`` taken at ``at``."""
        unsigned = Checkpoint(seq=seq, hash=chain_hash, at=at, key_id=self.key_id, sig="")
        sig = self.sign_message(unsigned.message())
        return Checkpoint(seq=seq, hash=chain_hash, at=at, key_id=self.key_id, sig=sig)


def signature_valid(key: Ed25519PublicKey, sig: str, message: bytes) -> bool:
    """True when ``sig`` (base64) is ``key``'s signature over ``message``."""
    try:
        key.verify(base64.b64decode(sig, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class MalformedLine:
    """A checkpoint-file line that is not a well-formed checkpoint."""

    line: int
    reason: str


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line with ``O_APPEND`` (atomic between processes) and ``fsync`` it."""
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_MODE)
    try:
        os.write(fd, checkpoint.to_line())
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(number: int, raw: bytes) -> Checkpoint | MalformedLine:
    try:
        body = json.loads(raw)
    except ValueError:
        return MalformedLine(number, "not JSON")
    if not isinstance(body, dict) or set(body) != {"at", "hash", "key_id", "seq", "sig"}:
        return MalformedLine(number, "not a checkpoint object")
    seq, chain_hash = body["seq"], body["hash"]
    at, key_id, sig = body["at"], body["key_id"], body["sig"]
    if type(seq) is not int or seq < 1:
        return MalformedLine(number, "seq is not a positive integer")
    if not isinstance(chain_hash, str) or len(chain_hash) != 64 or not _HEX.issuperset(chain_hash):  # noqa: PLR2004 - SHA-256 hex
        return MalformedLine(number, "hash is not 64 lower-case hex digits")
    if not (isinstance(at, str) and isinstance(key_id, str) and isinstance(sig, str)):
        return MalformedLine(number, "at, key_id and sig must be text")
    return Checkpoint(seq=seq, hash=chain_hash, at=at, key_id=key_id, sig=sig, line=number)


def read_checkpoints(path: Path) -> tuple[list[Checkpoint], list[MalformedLine]]:
    """Every checkpoint in the file (file order) and every line that is not one."""
    return parse_checkpoints(path.read_bytes() if path.exists() else b"")


def parse_line(number: int, raw: bytes) -> Checkpoint | MalformedLine:
    """Parse one line of the checkpoint file (``number`` is 1-based, for reports)."""
    return _parse(number, raw)


def parse_checkpoints(data: bytes) -> tuple[list[Checkpoint], list[MalformedLine]]:
    """Every checkpoint in the file's bytes (file order) and every line that is not one."""
    checkpoints: list[Checkpoint] = []
    malformed: list[MalformedLine] = []
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        parsed = _parse(number, raw)
        if isinstance(parsed, Checkpoint):
            checkpoints.append(parsed)
        else:
            malformed.append(parsed)
    return checkpoints, malformed
