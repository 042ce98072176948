"""The processors capability's front door: everything it contributes to the platform."""

from __future__ import annotations

from klaremont.capabilities import Capability, NavEntry
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.permissions import ProcessorPermission
from klaremont.staff.permissions import Role

READ = frozenset({ProcessorPermission.PROCESSORS_READ})
MANAGE = READ | {ProcessorPermission.PROCESSORS_MANAGE}
SUPPORT = frozenset({ProcessorPermission.SUPPORT_SHARES})

CAPABILITY = Capability(
    name="processors",
    summary=(
        "The processor register (contracts, DPAs, transfer safeguards and risk assessments, "
        "PCI DSS attestations), the record of processing (Art. 30) and shares with processors."
    ),
    models=("klaremont.processors.models",),
    migrations="migrations",
    routers=(  # support shares first: /api/processors/shares is not a processor's key
        "klaremont.processors.web.support_api:router",
        "klaremont.processors.web.support_pages:router",
        "klaremont.processors.web.partner:router",
        "klaremont.processors.web.api:router",
        "klaremont.processors.web.pages:router",
    ),
    cli="klaremont.processors.cli:app",
    audit_actions=ProcessorAction,
    permissions=ProcessorPermission,
    grants={
        Role.DPO: MANAGE | SUPPORT,
        Role.ISO: READ,
        Role.DIRECTOR: READ,
        Role.SUPPORT_AGENT: SUPPORT,
    },
    checks=("klaremont.processors.checks",),
    demo="klaremont.processors.demo_data",
    nav=(
        NavEntry("Processors", "/staff/processors", ProcessorPermission.PROCESSORS_READ, order=62),
        NavEntry(
            "Support shares",
            "/staff/processors/shares",
            ProcessorPermission.SUPPORT_SHARES,
            order=63,
        ),
    ),
    extensions=(
        ("transfer_safeguards", "klaremont.processors.share:safeguards"),
        ("processing_record", "klaremont.processors.ropa:for_access_copy"),
        ("my_work", "klaremont.processors.my_work:items"),
        ("evidence_files", "klaremont.processors.audit_pack:files"),  # register, Art. 30
        # who holds a person's data now, to be told of a change (Art. 19)
        ("data_holders", "klaremont.processors.holders:holding"),
        # an erased person's data at a support partner: a deletion task (no connector)
        ("external_erasure", "klaremont.processors.deletion_tasks:external_erasure"),
    ),
    templates="templates",
)
