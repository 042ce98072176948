"""Domain errors. Services raise these; web and CLI map them to problem+json or a readable line.

Each error carries a stable ``code`` (the problem type slug), an HTTP ``status``, a
human ``title`` and ``detail``, and optionally the offending ``field`` and ``rule``.
Messages must never contain a submitted secret, card number or personal value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One field that broke one rule."""

    field: str
    rule: str


class KlaremontError(Exception):
    """Base of every error Klaremont raises on purpose."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, *, problems: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems: list[FieldProblem] = problems or []


class ValidationFailed(KlaremontError):
    """Input broke a rule; ``problems`` names each field and rule."""

    code = "validation-failed"
    status = 422
    title = "Input is not valid"

    @classmethod
    def single(cls, field_name: str, rule: str) -> ValidationFailed:
        """Build the error for one field and one rule."""
        return cls(f"{field_name}: {rule}", problems=[FieldProblem(field_name, rule)])


class NotFound(KlaremontError):
    """The thing asked for does not exist, or the caller may not know that it does."""

    code = "not-found"
    status = 404
    title = "Not found"


class Conflict(KlaremontError):
    """The request clashes with the current state."""

    code = "conflict"
    status = 409
    title = "Conflict"


class AuthenticationRequired(KlaremontError):
    """No valid credentials or session."""

    code = "authentication-required"
    status = 401
    title = "Authentication required"


class PermissionDenied(KlaremontError):
    """The caller is known but may not do this."""

    code = "permission-denied"
    status = 403
    title = "Permission denied"


class PurposeRefused(PermissionDenied):
    """Processing for the stated purpose is not allowed (role, restriction, objection)."""

    code = "purpose-refused"
    title = "Processing refused for this purpose"
    #: why, as the purpose check's stable code ("subject-restricted", "role-purpose", ...)
    reason: str | None = None


class ConfigurationError(KlaremontError):
    """The platform's settings or policy file are unsafe or wrong."""

    code = "configuration-error"
    status = 500
    title = "Configuration error"


class PolicyFileError(ConfigurationError):
    """A policy file value is missing or breaks its rule."""

    code = "policy-file-invalid"
    title = "Policy file is not valid"
