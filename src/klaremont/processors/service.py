"""The processor register (IS-SENS-PCI3P, DP-TRANSFER) and the record of processing's systems
(DP-LAW, UK GDPR Art. 30): add, find, list, record dates.

A processor carries its role, country, the host data is sent to, what it receives
(data categories and purposes), whether it handles card data, the security measures, the
transfer mechanism (UK adequacy, partial adequacy it meets such as the UK Extension to the
EU-US DPF, the IDTA, the EU SCCs with the UK Addendum) and the dates: contract and data
processing agreement (signed, expires), safeguard signed, transfer risk assessment, and
for card-data processors the PCI DSS attestation of compliance and its expiry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from klaremont import plausible
from klaremont.detectors.free_text import optional, plain
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import LawfulBasis, Purpose
from klaremont.processors.actions import ProcessorAction
from klaremont.processors.models import (
    HOST_MAX,
    KEY_MAX,
    NAME_MAX,
    TEXT_MAX,
    ProcessingSystem,
    Processor,
)
from klaremont.transfers import HOME, Mechanism, check_country

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.platform import UnitOfWork

KEY = re.compile(r"[a-z0-9][a-z0-9-]*")
HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")
#: the lawful basis of each purpose (the same words the privacy notice uses)
BASIS: dict[Purpose, LawfulBasis] = {
    Purpose.ORDER_PROCESSING: LawfulBasis.CONTRACT,
    Purpose.INVOICING: LawfulBasis.LEGAL_OBLIGATION,
    Purpose.MARKETING: LawfulBasis.CONSENT,
    Purpose.SUPPORT: LawfulBasis.LEGITIMATE_INTEREST,
    Purpose.LEGAL_OBLIGATION: LawfulBasis.LEGAL_OBLIGATION,
    Purpose.SECURITY: LawfulBasis.LEGITIMATE_INTEREST,
}
DATE_FIELDS = (
    "contract_signed_on",
    "contract_expires_on",
    "dpa_signed_on",
    "dpa_expires_on",
    "safeguard_signed_on",
    "tra_on",
    "aoc_on",
    "aoc_expires_on",
)
DATE_WORDS = {
    "contract_signed_on": "contract signed",
    "contract_expires_on": "contract expires",
    "dpa_signed_on": "data processing agreement signed",
    "dpa_expires_on": "data processing agreement expires",
    "safeguard_signed_on": "transfer safeguard signed",
    "tra_on": "transfer risk assessment",
    "aoc_on": "PCI DSS attestation of compliance",
    "aoc_expires_on": "attestation of compliance expires",
}


def who(uow: UnitOfWork) -> str:
    """The acting person's name as records show it."""
    return (uow.actor.label or uow.actor.id)[:NAME_MAX]


def split(value: str) -> list[str]:
    """A stored comma-separated list."""
    return [part for part in value.split(",") if part]


def categories_of(values: Iterable[str], name: str = "categories") -> list[DataCategory]:
    """Data categories by value, or a refusal naming the field and the choices."""
    found: list[DataCategory] = []
    for value in values:
        try:
            found.append(DataCategory(value.strip()))
        except ValueError:
            choices = ", ".join(c.value for c in DataCategory)
            raise ValidationFailed.single(
                name, f"{value.strip()[:40]!r} is not one of {choices}"
            ) from None
    if not found:
        raise ValidationFailed.single(name, "name at least one data category")
    return sorted(set(found))


def purposes_of(values: Iterable[str], name: str = "purposes") -> list[Purpose]:
    """Purposes by value, or a refusal naming the field and the choices."""
    found: list[Purpose] = []
    for value in values:
        try:
            found.append(Purpose(value.strip()))
        except ValueError:
            choices = ", ".join(p.value for p in Purpose)
            raise ValidationFailed.single(
                name, f"{value.strip()[:40]!r} is not one of {choices}"
            ) from None
    if not found:
        raise ValidationFailed.single(name, "name at least one purpose")
    return sorted(set(found))


def _key(value: str) -> str:
    key = plain("key", value, max_length=KEY_MAX)
    if not KEY.fullmatch(key):
        raise ValidationFailed.single(
            "key", "lower-case letters, digits and hyphens, starting with a letter or digit"
        )
    return key


@dataclass(frozen=True, slots=True)
class NewProcessor:
    """What is typed to add a processor (checked by :func:`add`)."""

    key: str
    name: str
    role: str
    country: str
    categories: list[str]
    purposes: list[str]
    security: str
    mechanism: Mechanism = Mechanism.UK_ADEQUACY
    card_data: bool = False
    host: str | None = None
    dates: dict[str, date | None] = field(default_factory=dict)


def find(uow: UnitOfWork, key: str) -> Processor:
    """The processor with this key, or :class:`NotFound`."""
    found = uow.session.scalar(select(Processor).where(Processor.key == key.strip()))
    if found is None:
        raise NotFound(f"no processor with key {key.strip()[:KEY_MAX]!r}")
    return found


def processors(uow: UnitOfWork) -> list[Processor]:
    """Every processor, by name."""
    return list(uow.session.scalars(select(Processor).order_by(Processor.name, Processor.key)))


def systems(uow: UnitOfWork) -> list[ProcessingSystem]:
    """Every system of the record of processing, by name."""
    query = select(ProcessingSystem).order_by(ProcessingSystem.name, ProcessingSystem.key)
    return list(uow.session.scalars(query))


def _check_dates(values: dict[str, date | None]) -> None:
    for name, value in values.items():
        if value is not None:
            plausible.day(name, value)
    pairs = (
        ("contract_signed_on", "contract_expires_on"),
        ("dpa_signed_on", "dpa_expires_on"),
        ("aoc_on", "aoc_expires_on"),
    )
    for start, end in pairs:
        began, ends = values.get(start), values.get(end)
        if began is not None and ends is not None and ends < began:
            raise ValidationFailed.single(end, f"must not be before the {DATE_WORDS[start]} date")


def _check_mechanism(country: str, mechanism: Mechanism) -> None:
    if country == HOME and mechanism is not Mechanism.UK_ADEQUACY:
        raise ValidationFailed.single(
            "mechanism", "a processor in the UK makes no restricted transfer: use uk_adequacy"
        )


def add(uow: UnitOfWork, new: NewProcessor) -> Processor:
    """Add a processor to the register (audited); a key already used is refused."""
    key = _key(new.key)
    country = check_country(new.country, "country")
    _check_mechanism(country, new.mechanism)
    host = optional("host", new.host, max_length=HOST_MAX)
    if host is not None:
        host = host.lower()
        if not HOST.fullmatch(host):
            raise ValidationFailed.single("host", "a host name such as support.example.com")
    unknown = set(new.dates) - set(DATE_FIELDS)
    if unknown:
        raise ValidationFailed.single(min(unknown), "is not a date the register records")
    _check_dates(new.dates)
    values: dict[str, Any] = {
        "key": key,
        "name": plain("name", new.name, max_length=NAME_MAX),
        "role": plain("role", new.role, max_length=TEXT_MAX),
        "country": country,
        "host": host,
        "categories": ",".join(c.value for c in categories_of(new.categories)),
        "purposes": ",".join(p.value for p in purposes_of(new.purposes)),
        "security": plain("security", new.security, max_length=TEXT_MAX),
        "mechanism": new.mechanism,
        "card_data": new.card_data,
    }
    if uow.session.scalar(select(Processor.id).where(Processor.key == key)) is not None:
        raise Conflict(f"key: {key!r} is already in the register")
    made = Processor(
        **values,
        **{name: new.dates.get(name) for name in DATE_FIELDS},
        added_at=uow.clock.now(),
        added_by=who(uow),
    )
    uow.session.add(made)
    uow.session.flush()
    uow.audit(
        ProcessorAction.ADDED,
        resource=f"processor:{key}",
        details={"country": country, "mechanism": new.mechanism.value, "card_data": new.card_data},
    )
    return made


def record_dates(
    uow: UnitOfWork,
    key: str,
    dates: dict[str, date | None],
    *,
    mechanism: Mechanism | None = None,
) -> Processor:
    """Record contract, DPA, safeguard, TRA or attestation dates (and the mechanism);
    a date left out keeps its value (audited: which dates changed, not the processor's data)."""
    found = find(uow, key)
    unknown = set(dates) - set(DATE_FIELDS)
    if unknown:
        raise ValidationFailed.single(min(unknown), "is not a date the register records")
    merged: dict[str, date | None] = {name: getattr(found, name) for name in DATE_FIELDS}
    merged.update(dates)
    _check_dates(merged)
    if mechanism is not None:
        _check_mechanism(found.country, mechanism)
        found.mechanism = mechanism
    changed = sorted(name for name, value in dates.items() if getattr(found, name) != value)
    for name, value in dates.items():
        setattr(found, name, value)
    uow.session.flush()
    uow.audit(
        ProcessorAction.DATES_RECORDED,
        resource=f"processor:{found.key}",
        details={
            "changed": changed,
            **({"mechanism": mechanism.value} if mechanism is not None else {}),
        },
    )
    return found


@dataclass(frozen=True, slots=True)
class NewSystem:
    """A system of the record of processing."""

    key: str
    name: str
    categories: list[str]
    purposes: list[str]
    recipients: str
    location: str
    country: str
    security: str
    source: str
    processor: str | None = None


def add_system(uow: UnitOfWork, new: NewSystem) -> ProcessingSystem:
    """Add a system to the record of processing (audited)."""
    key = _key(new.key)
    processor = find(uow, new.processor) if new.processor else None
    values = {
        f.name: getattr(new, f.name)
        for f in fields(new)
        if f.name in {"name", "recipients", "location", "security", "source"}
    }
    cleaned = {
        name: plain(name, value, max_length=NAME_MAX if name == "name" else TEXT_MAX)
        for name, value in values.items()
    }
    made = ProcessingSystem(
        key=key,
        processor_id=processor.id if processor else None,
        categories=",".join(c.value for c in categories_of(new.categories)),
        purposes=",".join(p.value for p in purposes_of(new.purposes)),
        country=check_country(new.country, "country"),
        **cleaned,
    )
    if uow.session.scalar(select(ProcessingSystem.id).where(ProcessingSystem.key == key)):
        raise Conflict(f"key: {key!r} is already in the record of processing")
    uow.session.add(made)
    uow.session.flush()
    uow.audit(ProcessorAction.SYSTEM_ADDED, resource=f"processing-system:{key}")
    return made
