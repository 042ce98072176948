"""Refuse card data in service input: the guard the services and the CLI share.

The web guard (:mod:`klaremont.web.card_guard`) scans every request before a route sees
it; services that take input by other ways (the CLI, internal callers) call
:func:`guard_input` on the value as it will be stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from klaremont.audit.events import Outcome, action_tag
from klaremont.detectors.card_fields import CardDataRefused, scan

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork


def guard_input(
    uow: UnitOfWork, value: Any, *, resource: str, allow_pan_fields: frozenset[str] = frozenset()
) -> None:
    """Refuse input holding card data: roll back, audit ``card.refused`` (field names and
    rules only), commit the audit event, raise :class:`CardDataRefused`."""
    findings = scan(value, allow_pan_fields=allow_pan_fields)
    if not findings:
        return
    uow.keep_only_refusal(
        lambda: uow.audit(
            action_tag("card.refused"),
            Outcome.DENIED,
            resource=resource[:255],
            details={
                "fields": [f.field for f in findings],
                "rules": [f.rule.value for f in findings],
            },
        ),
    )
    raise CardDataRefused(findings)
