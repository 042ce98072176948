"""The mail capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job

CAPABILITY = Capability(
    name="mail",
    summary="Outgoing mail: the outbox, templates that carry no personal data, SMTP delivery.",
    models=("klaremont.mail.models",),
    cli="klaremont.mail.cli:app",
    checks=("klaremont.mail.checks",),
    jobs=(
        Job(
            "send-pending",
            "klaremont.mail.jobs:send_due",
            timedelta(minutes=1),
            "deliver the outbox over SMTP",
        ),
    ),
    extensions=(
        ("metrics", "klaremont.mail.metrics:collect"),
        ("settings", "klaremont.mail.config:MailSettings"),
    ),
)
