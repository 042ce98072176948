"""What the scan capability announces to the others (``klaremont.events``).

:class:`CardDataFound` is published when a recorded scan found card data (card numbers,
track data or card codes) that no allow-list entry accepts and the scan was asked to raise
an incident: the incident capability opens one (PCI DSS 12.10.7). It carries counts and
masked findings only, inside the unit of work that recorded the scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from klaremont.events import DomainEvent


@dataclass(frozen=True, slots=True)
class CardDataFound(DomainEvent):
    """Card data was found where it must not be."""

    reference: str
    label: str
    card_numbers: int
    track_data: int
    card_codes: int
    #: up to 20 lines "kind at source: where (masked sample)"
    findings: tuple[str, ...] = ()
