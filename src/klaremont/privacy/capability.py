"""The privacy capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from datetime import timedelta

from klaremont.capabilities import Capability, Job

CAPABILITY = Capability(
    name="privacy",
    summary="The customers' privacy centre: sign-in, my data, requests, marketing and cookies.",
    models=("klaremont.privacy.models",),
    routers=("klaremont.privacy.web:router", "klaremont.privacy.web.details:router"),
    cli="klaremont.privacy.cli:app",
    checks=("klaremont.privacy.checks",),
    extensions=(("request_actor", "klaremont.privacy.web.common:request_actor"),),
    jobs=(
        Job(
            "prune-throttle",
            "klaremont.privacy.throttle:prune_job",
            timedelta(days=1),
            "delete sign-in throttle rows whose window and pause are over",
        ),
    ),
)
