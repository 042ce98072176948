"""The mail capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability

CAPABILITY = Capability(
    name="mail",
    summary="Outgoing mail: the outbox, templates that carry no personal data, SMTP delivery.",
    models=("klaremont.mail.models",),
    cli="klaremont.mail.cli:app",
    checks=("klaremont.mail.checks",),
)
