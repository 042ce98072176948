"""The disclosures capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability, NavEntry, Subscription
from klaremont.customers.announcements import CustomerRectified
from klaremont.disclosures.actions import DisclosureAction
from klaremont.disclosures.permissions import DisclosurePermission
from klaremont.rights.announcements import SubjectErased, SubjectRestricted
from klaremont.staff.permissions import Role

P = DisclosurePermission

CAPABILITY = Capability(
    name="disclosures",
    summary=(
        "Releases of personal data to third parties (police, courts, companies, regulators): "
        "a recorded basis, a director's approval, a one-time export built by the platform; "
        "recipients told of rectification, erasure and restriction (Art. 19)."
    ),
    models=("klaremont.disclosures.models",),
    migrations="migrations",
    routers=("klaremont.disclosures.web.api:router", "klaremont.disclosures.web.pages:router"),
    cli="klaremont.disclosures.cli:app",
    audit_actions=DisclosureAction,
    permissions=DisclosurePermission,
    grants={
        Role.DPO: frozenset({P.DISCLOSURES_READ, P.DISCLOSURES_REQUEST, P.DISCLOSURES_EXPORT}),
        Role.SUPPORT_AGENT: frozenset({P.DISCLOSURES_REQUEST}),
        Role.ISO: frozenset({P.DISCLOSURES_READ}),
        Role.DIRECTOR: frozenset({P.DISCLOSURES_READ, P.DISCLOSURES_APPROVE}),
    },
    data=frozenset({P.DISCLOSURES_EXPORT}),
    checks=("klaremont.disclosures.checks",),
    demo="klaremont.disclosures.demo_data",
    nav=(NavEntry("Disclosures", "/staff/disclosures", P.DISCLOSURES_READ, order=63),),
    subscriptions=(
        Subscription(CustomerRectified, "klaremont.disclosures.recipients:on_customer_rectified"),
        Subscription(SubjectRestricted, "klaremont.disclosures.recipients:on_subject_restricted"),
        Subscription(SubjectErased, "klaremont.disclosures.recipients:on_subject_erased"),
    ),
    extensions=(("subject_recipients", "klaremont.disclosures.recipients:for_subject"),),
    templates="templates",
)
