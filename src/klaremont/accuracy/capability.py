"""The accuracy capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.accuracy.actions import AccuracyAction
from klaremont.accuracy.permissions import AccuracyPermission
from klaremont.capabilities import Capability, NavEntry, Subscription
from klaremont.customers.announcements import CustomerRectified
from klaremont.staff.permissions import Role

CAPABILITY = Capability(
    name="accuracy",
    summary=(
        "Accuracy of customer records: review periods, confirmations and the DPO's "
        "stale-data report (DP-ACCURATE)."
    ),
    models=("klaremont.accuracy.models",),
    routers=("klaremont.accuracy.web.api:router", "klaremont.accuracy.web.pages:router"),
    cli="klaremont.accuracy.cli:app",
    audit_actions=AccuracyAction,
    permissions=AccuracyPermission,
    grants={
        Role.DPO: frozenset({AccuracyPermission.ACCURACY_REVIEW}),
    },
    data=frozenset({AccuracyPermission.ACCURACY_REVIEW}),
    checks=("klaremont.accuracy.checks",),
    demo="klaremont.accuracy.demo_data",
    nav=(
        NavEntry(
            "Stale-data review",
            "/staff/accuracy-review",
            AccuracyPermission.ACCURACY_REVIEW,
            order=40,
        ),
    ),
    subscriptions=(
        Subscription(CustomerRectified, "klaremont.accuracy.service:on_customer_rectified"),
    ),
    templates="templates",
    extensions=(
        ("my_work", "klaremont.accuracy.my_work:items"),
        ("customer_view", "klaremont.accuracy.view:contribute"),
    ),
)
