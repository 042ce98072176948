"""Errors raised by key handling and field encryption.

None of these messages ever carries key material, a plaintext value or a ciphertext: they
name the subject (a pseudonymous id), the table, column and row, and the key ids only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.errors import KlaremontError

if TYPE_CHECKING:
    import uuid
    from datetime import datetime


class CryptoError(KlaremontError):
    """Base of every key-handling and field-encryption error."""

    code = "crypto-error"
    status = 500
    title = "Encryption error"


class SubjectKeyDestroyed(CryptoError):
    """The subject's data key was destroyed (crypto-shredded): the data can never be read again."""

    code = "subject-erased"
    status = 410
    title = "Personal data erased"

    def __init__(self, subject_id: uuid.UUID, destroyed_at: datetime | None) -> None:
        when = destroyed_at.date().isoformat() if destroyed_at else "an unknown date"
        super().__init__(
            f"personal data of subject {subject_id} was crypto-shredded on {when} "
            "and cannot be read"
        )
        self.subject_id = subject_id
        self.destroyed_at = destroyed_at

    def __reduce__(self) -> tuple[type[SubjectKeyDestroyed], tuple[uuid.UUID, datetime | None]]:
        """Pickled with its own arguments (a worker process raises it to its parent)."""
        return (type(self), (self.subject_id, self.destroyed_at))


class CiphertextIntegrityError(CryptoError):
    """A sealed value or wrapped key was altered, truncated, or moved from another place."""

    code = "ciphertext-integrity"
    title = "Encrypted value failed its integrity check"

    @classmethod
    def for_field(
        cls, table: str, column: str, row_id: object, reason: str = "altered or moved"
    ) -> CiphertextIntegrityError:
        """The error for one sealed column value, naming where it was read from."""
        return cls(
            f"encrypted value in {table}.{column} for row {row_id} failed its integrity "
            f"check: {reason} (it was changed, or copied from another row or column)"
        )


class UnknownKey(CryptoError):
    """A ciphertext or wrapped key names a key this installation does not hold."""

    code = "unknown-key"
    title = "Unknown key"


class KeyRetirementRefused(CryptoError):
    """A key-encryption key cannot be retired while it is active or still wraps data keys."""

    code = "key-retirement-refused"
    status = 409
    title = "Key cannot be retired"


class CryptoContextMissing(CryptoError):
    """A sealed field was read or flushed without a crypto context bound to its session."""

    code = "crypto-context-missing"
    title = "No encryption context"
