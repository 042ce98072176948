"""The vocabulary of data subject requests and the one table of allowed state changes.

A request moves ``received -> identity_pending -> verified -> in_progress`` and ends
``fulfilled`` or ``refused``; ``extended`` is "in progress, with the deadline extended"
(UK GDPR Art. 12(3)). :data:`ALLOWED` is the whole state machine: every change goes through
:func:`check_transition`, and a change not listed there is refused.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from klaremont.errors import Conflict


class RequestKind(StrEnum):
    """Which right the person exercises (PP-R-*)."""

    ACCESS = "access"
    PORTABILITY = "portability"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"
    RESTRICTION = "restriction"
    OBJECTION = "objection"


class ObjectionScope(StrEnum):
    """What an objection is to: marketing (absolute, immediate) or holding the data (reviewed)."""

    MARKETING = "marketing"
    PROCESSING = "processing"


class IntakeChannel(StrEnum):
    """How the request reached Klaremont."""

    PRIVACY_CENTRE = "privacy_centre"  # a signed-in customer
    EMAIL = "email"  # the privacy centre without signing in: verified by a code by e-mail
    PHONE = "phone"  # staff on the customer's behalf
    LETTER = "letter"  # staff on the customer's behalf


class IdentityMethod(StrEnum):
    """How the requester's identity was confirmed."""

    SIGNED_IN = "signed_in"
    EMAIL_CODE = "email_code"  # code sent to the address on the account, entered by the requester
    STAFF_CODE = "staff_code"  # code sent to the address on the account, read back to staff
    DOCUMENT = "document"  # the DPO checked identity documents (recorded with a reason)


class PauseReason(StrEnum):
    """Why the DPO stopped the clock (ICO "stop the clock"; UK GDPR Art. 12, DPA 2018 s.54)."""

    CLARIFICATION = "clarification"  # waiting for the requester to say what they ask for
    IDENTIFICATION = "identification"  # waiting for information needed to identify them
    OTHER = "other"  # another wait for the requester, said in a note


class RequestState(StrEnum):
    """Where a request is."""

    RECEIVED = "received"
    IDENTITY_PENDING = "identity_pending"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    EXTENDED = "extended"
    FULFILLED = "fulfilled"
    REFUSED = "refused"


S = RequestState

#: Every allowed change of state; anything else is refused.
ALLOWED: Final[dict[RequestState, frozenset[RequestState]]] = {
    S.RECEIVED: frozenset({S.IDENTITY_PENDING, S.VERIFIED, S.REFUSED}),
    S.IDENTITY_PENDING: frozenset({S.VERIFIED, S.REFUSED}),
    S.VERIFIED: frozenset({S.IN_PROGRESS, S.EXTENDED, S.REFUSED}),
    S.IN_PROGRESS: frozenset({S.EXTENDED, S.FULFILLED, S.REFUSED}),
    S.EXTENDED: frozenset({S.FULFILLED, S.REFUSED}),
    S.FULFILLED: frozenset(),
    S.REFUSED: frozenset(),
}

TERMINAL: Final[frozenset[RequestState]] = frozenset(s for s, nxt in ALLOWED.items() if not nxt)
OPEN: Final[frozenset[RequestState]] = frozenset(RequestState) - TERMINAL
#: States in which the identity is confirmed and work may be done.
WORKABLE: Final[frozenset[RequestState]] = frozenset({S.VERIFIED, S.IN_PROGRESS, S.EXTENDED})


class TransitionRefused(Conflict):
    """The request cannot move from its state to the one asked for."""

    code = "dsr-transition-refused"
    title = "Request cannot change to that state"


def can_transition(current: RequestState, target: RequestState) -> bool:
    """True when ``current -> target`` is in the table."""
    return target in ALLOWED[current]


def check_transition(current: RequestState, target: RequestState) -> None:
    """Refuse a change that the table does not list, naming both states."""
    if not can_transition(current, target):
        allowed = ", ".join(sorted(ALLOWED[current])) or "none: the request is closed"
        raise TransitionRefused(
            f"a request that is {current.value} cannot become {target.value} "
            f"(allowed next: {allowed})"
        )


def open_key(kind: RequestKind, scope: ObjectionScope | None) -> str:
    """The duplicate-detection key of an open request: one open request per subject and key."""
    return f"{kind.value}:{scope.value}" if scope is not None else kind.value
