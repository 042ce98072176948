"""The vocabulary of an incident: kinds, states, action kinds, the preservation checklist,
the parties to notify and their decisions, each with the words a page shows.

Stored values are stable (they are in tables and audit events); the words are for people.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class IncidentKind(StrEnum):
    """What kind of incident was reported."""

    SYSTEM_COMPROMISE = "system_compromise"
    LOSS_OR_THEFT = "loss_or_theft"  # SP-IRP-LOSS: records or media with personal data
    PROVIDER_BREACH = "provider_breach"  # a breach at a merchant or service provider
    MISDIRECTED_DATA = "misdirected_data"  # personal data sent to the wrong person
    CARD_DATA_EXPOSED = "card_data_exposed"  # card data found where it must not be
    OTHER = "other"


class Involvement(StrEnum):
    """Whether personal or card data may be involved, as the reporter saw it."""

    YES = "yes"
    NO = "no"
    UNSURE = "unsure"


class IncidentState(StrEnum):
    """Where an incident is in the response plan (SP-IRP-INVESTIGATE)."""

    REPORTED = "reported"
    INVESTIGATING = "investigating"  # the ISO's initial investigation
    DISMISSED = "dismissed"  # not an incident: the reason is recorded, the record kept
    TEAM_ACTIVATED = "team_activated"
    CONTAINED = "contained"
    RECOVERED = "recovered"
    CLOSED = "closed"


#: The moves the plan allows; anything else is refused naming where the case can go.
TRANSITIONS: Final[dict[IncidentState, frozenset[IncidentState]]] = {
    IncidentState.REPORTED: frozenset({IncidentState.INVESTIGATING, IncidentState.DISMISSED}),
    IncidentState.INVESTIGATING: frozenset({IncidentState.DISMISSED, IncidentState.TEAM_ACTIVATED}),
    IncidentState.TEAM_ACTIVATED: frozenset({IncidentState.CONTAINED}),
    IncidentState.CONTAINED: frozenset({IncidentState.RECOVERED}),
    IncidentState.RECOVERED: frozenset({IncidentState.CLOSED}),
    IncidentState.DISMISSED: frozenset(),
    IncidentState.CLOSED: frozenset(),
}
#: States in which the incident is still being handled (deadlines run, the team is on alert).
OPEN_STATES: Final = frozenset(
    {
        IncidentState.REPORTED,
        IncidentState.INVESTIGATING,
        IncidentState.TEAM_ACTIVATED,
        IncidentState.CONTAINED,
        IncidentState.RECOVERED,
    }
)
#: States in which the team exists and acts.
TEAM_STATES: Final = frozenset(
    {IncidentState.TEAM_ACTIVATED, IncidentState.CONTAINED, IncidentState.RECOVERED}
)


class ActionKind(StrEnum):
    """What an action-log entry records (SP-IRP-CONTAIN, SP-IRP-EVIDENCE)."""

    CONTAINMENT = "containment"
    INVESTIGATION = "investigation"
    COMMUNICATION = "communication"
    DECISION = "decision"


class ChecklistItem(StrEnum):
    """The policy's evidence-preservation steps, each answered per incident."""

    NO_ACCESS = "no_access"
    KEEP_RUNNING_ISOLATE = "keep_running_isolate"
    PRESERVE_LOGS = "preserve_logs"
    LOG_ACTIONS = "log_actions"
    HIGH_ALERT = "high_alert"


class ChecklistAnswer(StrEnum):
    """How a checklist step was answered."""

    DONE = "done"
    NOT_APPLICABLE = "not_applicable"  # e.g. no system involved in a lost paper record


class Recipient(StrEnum):
    """Who must be told (SP-IRP-NOTIFY)."""

    ICO = "ico"  # the supervisory authority (UK GDPR Art. 33)
    CUSTOMERS = "customers"  # the people affected (Art. 34)
    PAYMENT_PROVIDER = "payment_provider"  # the payment service provider and card brands
    POLICE = "police"  # the high-tech crime unit


class Decision(StrEnum):
    """Where a notification stands."""

    PENDING = "pending"
    SENT = "sent"
    NOT_REQUIRED = "not_required"


class IcoPhase(StrEnum):
    """Art. 33(4): information may be given in phases."""

    COMPLETE = "complete"
    INITIAL = "initial"  # more to follow


KIND_WORDS: Final = {
    IncidentKind.SYSTEM_COMPROMISE: "A system compromised",
    IncidentKind.LOSS_OR_THEFT: "Records or media lost or stolen",
    IncidentKind.PROVIDER_BREACH: "A breach at a merchant or service provider",
    IncidentKind.MISDIRECTED_DATA: "Personal data sent to the wrong person",
    IncidentKind.CARD_DATA_EXPOSED: "Card data found where it must not be",
    IncidentKind.OTHER: "Something else",
}
INVOLVEMENT_WORDS: Final = {
    Involvement.YES: "Yes",
    Involvement.NO: "No",
    Involvement.UNSURE: "Not sure",
}
STATE_WORDS: Final = {
    IncidentState.REPORTED: "Reported: waiting for the ISO",
    IncidentState.INVESTIGATING: "Initial investigation",
    IncidentState.DISMISSED: "Dismissed: not an incident",
    IncidentState.TEAM_ACTIVATED: "Response team activated",
    IncidentState.CONTAINED: "Contained",
    IncidentState.RECOVERED: "Recovered",
    IncidentState.CLOSED: "Closed",
}
ACTION_WORDS: Final = {
    ActionKind.CONTAINMENT: "Containment",
    ActionKind.INVESTIGATION: "Investigation",
    ActionKind.COMMUNICATION: "Communication",
    ActionKind.DECISION: "Decision",
}
CHECKLIST_WORDS: Final = {
    ChecklistItem.NO_ACCESS: "Nobody logged on to or changed the compromised system "
    "(no password changes, no root log-in)",
    ChecklistItem.KEEP_RUNNING_ISOLATE: "The compromised system was left switched on and "
    "isolated from the network",
    ChecklistItem.PRESERVE_LOGS: "Logs and electronic evidence preserved",
    ChecklistItem.LOG_ACTIONS: "Every action taken is logged here",
    ChecklistItem.HIGH_ALERT: "High alert: every system holding personal data is being watched",
}
ANSWER_WORDS: Final = {
    ChecklistAnswer.DONE: "Done",
    ChecklistAnswer.NOT_APPLICABLE: "Not applicable",
}
RECIPIENT_WORDS: Final = {
    Recipient.ICO: "Information Commissioner's Office",
    Recipient.CUSTOMERS: "Affected customers",
    Recipient.PAYMENT_PROVIDER: "Payment service provider and card brands",
    Recipient.POLICE: "Police (high-tech crime unit)",
}
#: the parties as they read inside a sentence ("telling the affected customers")
RECIPIENT_IN_SENTENCE: Final = {
    Recipient.ICO: "the Information Commissioner's Office",
    Recipient.CUSTOMERS: "the affected customers",
    Recipient.PAYMENT_PROVIDER: "the payment service provider and card brands",
    Recipient.POLICE: "the police",
}
DECISION_WORDS: Final = {
    Decision.PENDING: "Not decided yet",
    Decision.SENT: "Sent",
    Decision.NOT_REQUIRED: "Not required",
}
