"""The consent capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability, NavEntry, Subscription
from klaremont.consent.actions import ConsentAction
from klaremont.consent.permissions import ConsentPermission
from klaremont.customers.announcements import AccountOpened
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="consent",
    summary="Consent and cookies: versioned notices, marketing consent, the marketing audience.",
    models=("klaremont.consent.models",),
    routers=("klaremont.consent.web.api:router", "klaremont.consent.web.pages:router"),
    cli="klaremont.consent.cli:app",
    audit_actions=ConsentAction,
    permissions=ConsentPermission,
    grants={
        Role.SUPPORT_AGENT: frozenset({ConsentPermission.CONSENT_READ}),
        Role.MARKETING: frozenset(
            {ConsentPermission.CONSENT_READ, ConsentPermission.MARKETING_SEND}
        ),
        Role.DPO: frozenset({ConsentPermission.CONSENT_READ, ConsentPermission.CONSENT_MANAGE}),
    },
    data=frozenset(
        {
            ConsentPermission.CONSENT_READ,
            ConsentPermission.CONSENT_MANAGE,
            ConsentPermission.MARKETING_SEND,
        }
    ),
    checks=("klaremont.consent.checks",),
    demo="klaremont.consent.demo_data",
    subscriptions=(Subscription(AccountOpened, "klaremont.consent.service:on_account_opened"),),
    extensions=(
        ("marketing_veto", "klaremont.consent.audience:marketing_veto"),
        ("customer_view", "klaremont.consent.audience:contribute_to_view"),
        # consent histories go six years after a withdrawal (nobody's current choice changes)
        ("retention_targets", "klaremont.consent.retention:targets"),
    ),
    # for marketing (who send) and the DPO (who manage consent); the console shows a path once
    nav=(
        NavEntry("Marketing consent", "/staff/consent", ConsentPermission.MARKETING_SEND, order=25),
        NavEntry("Marketing consent", "/staff/consent", ConsentPermission.CONSENT_MANAGE, order=25),
    ),
)
