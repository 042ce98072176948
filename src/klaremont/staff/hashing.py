"""Argon2id password hashing with the policy file's cost parameters (IS-PW-HASH).

Passwords are NFKC-normalised before hashing, so the same password typed on another
keyboard layout still verifies. Hashes made with older parameters are re-hashed at the
next successful login (:meth:`PasswordHashing.needs_rehash`). An account that must never
log in (an offboarded leaver) holds :data:`UNUSABLE`, which no password matches.

For unknown users the caller verifies against :meth:`PasswordHashing.dummy_verify`, so a
login for a name that does not exist costs the same Argon2 work as a wrong password.
"""

from __future__ import annotations

import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from klaremont.platform import Platform
    from klaremont.policy.model import Argon2Params

UNUSABLE = "!unusable"
UNSET = "!unset"  # an account being created, before its password is stored
HASH_LENGTH = 32
SALT_LENGTH = 16
_EXTRAS_KEY = "staff.password_hashing"
_BUILD_LOCK = threading.Lock()


def normalise_password(password: str) -> str:
    """NFKC form of a password (NIST SP 800-63B 5.1.1.2)."""
    return unicodedata.normalize("NFKC", password)


@dataclass
class PasswordHashing:
    """One Argon2id configuration; counts real password evaluations for tests and benchmarks."""

    time_cost: int
    memory_kib: int
    parallelism: int
    _hasher: PasswordHasher = field(init=False, repr=False)
    _dummy: str | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    evaluations: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._hasher = PasswordHasher(
            time_cost=self.time_cost,
            memory_cost=self.memory_kib,
            parallelism=self.parallelism,
            hash_len=HASH_LENGTH,
            salt_len=SALT_LENGTH,
            type=Type.ID,
        )

    @classmethod
    def from_policy(cls, params: Argon2Params) -> PasswordHashing:
        """Build from the policy's ``passwords.hash`` table."""
        return cls(params.time_cost, params.memory_kib, params.parallelism)

    def describe(self) -> str:
        """The parameters in the PHC notation's words, for reports and benchmarks."""
        return f"argon2id m={self.memory_kib} KiB t={self.time_cost} p={self.parallelism}"

    def hash(self, password: str) -> str:
        """A new Argon2id hash of ``password`` with a random salt."""
        return self._hasher.hash(normalise_password(password))

    def verify(self, stored: str, password: str) -> bool:
        """True when ``password`` matches ``stored``; an unusable or malformed hash never matches.

        An unusable hash still costs one dummy verification, so its timing matches the others.
        """
        if stored.startswith("!") or not stored.startswith("$argon2"):
            self.dummy_verify(password)
            return False
        with self._lock:
            self.evaluations += 1
        try:
            return self._hasher.verify(stored, normalise_password(password))
        except (VerificationError, InvalidHashError):
            return False

    def dummy_verify(self, password: str) -> None:
        """Spend the same work as a real verification against a hash nobody knows."""
        try:
            self._hasher.verify(self._dummy_hash(), normalise_password(password))
        except (VerificationError, InvalidHashError):
            return

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than this configuration."""
        if stored.startswith("!"):
            return False
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def _dummy_hash(self) -> str:
        with self._lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(24))
            return self._dummy


def hashing_for(platform: Platform) -> PasswordHashing:
    """The platform's password hashing, built once from its policy and kept in ``extras``.

    Rebuilt when the policy's parameters change (so hashes made before are re-hashed at
    their next login).
    """
    params = platform.policy.passwords.hash
    with _BUILD_LOCK:
        current = platform.extras.get(_EXTRAS_KEY)
        if (
            isinstance(current, PasswordHashing)
            and current.time_cost == params.time_cost
            and current.memory_kib == params.memory_kib
            and current.parallelism == params.parallelism
        ):
            return current
        built = PasswordHashing.from_policy(params)
        platform.extras[_EXTRAS_KEY] = built
        return built
