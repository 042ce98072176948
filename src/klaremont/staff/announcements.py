"""What the staff capability announces to the others (``klaremont.events``).

:class:`StaffLeft` is published inside the offboarding transaction (IS-AC-LEAVER): a
capability that gives staff something outside this package (the wireless network's MAC
allow-list, for instance) subscribes in its declaration and revokes it there, so the
leaver loses everything at once or nothing at all. :class:`StaffDisabled` is published the
same way when an account is disabled (by an administrator, for inactivity, at its end).
One subscriber that fails is rolled back to its savepoint and reported as
``failed: <error type>`` in the offboarding audit event (for the ISO to follow up) while
everything else is still revoked.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class StaffLeft(DomainEvent):
    """A staff member was offboarded: sessions, credentials, grants and roles are gone."""

    tolerate_failures: ClassVar[bool] = True

    account_id: uuid.UUID
    username: str


@dataclass(frozen=True, slots=True)
class LockoutBurst(DomainEvent):
    """Many staff accounts locked within a short window: someone may be guessing passwords
    or locking staff out. Published with the technical-operations alert, at most once per
    window; the incident capability raises an incident for the ISO (SP-REPORT)."""

    tolerate_failures: ClassVar[bool] = True

    lockouts: int
    window_minutes: int


@dataclass(frozen=True, slots=True)
class StaffDisabled(DomainEvent):
    """A staff account was disabled (by an administrator, for inactivity, or at its end).

    Published inside the disabling transaction, so what a capability gives the account
    outside this package (the wireless network's devices) ends with it; a failing
    subscriber is reported, never a reason to keep the account enabled.
    """

    tolerate_failures: ClassVar[bool] = True

    account_id: uuid.UUID
    username: str
    reason: str
