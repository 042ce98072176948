"""The record of processing (UK GDPR Art. 30(1), DP-LAW) built from the register: one row
per system, as plain rows, CSV, JSON and a standalone HTML page; and the register's answer
to the access copy's Art. 15 information (extension point ``processing_record``).

Retention comes from the policy file's schedule, category by category; the transfer
column from the transfer guard's own reading of the processor's country and safeguard.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, select_autoescape

from klaremont.policy.categories import label_of, labels_of
from klaremont.policy.model import DataCategory
from klaremont.policy.purposes import Purpose
from klaremont.processors import service
from klaremont.processors.share import safeguard_of
from klaremont.spreadsheet import safe_cell
from klaremont.transfers import HOME, MECHANISM_WORDS, assess

if TYPE_CHECKING:
    from collections.abc import Iterable

    from klaremont.platform import UnitOfWork
    from klaremont.processors.models import ProcessingSystem, Processor

HEADER = (
    "System",
    "Run by",
    "Data categories",
    "Purposes and lawful basis",
    "Recipients",
    "Location",
    "Country",
    "Transfer mechanism",
    "Retention",
    "Security measures",
    "Source",
)
KEYS = (
    "system",
    "run_by",
    "categories",
    "purposes",
    "recipients",
    "location",
    "country",
    "transfer",
    "retention",
    "security",
    "source",
)


def transfer_words(uow: UnitOfWork, processor: Processor | None, country: str) -> str:
    """How data reaches ``country``: not a transfer, or the guard's basis, or what is missing."""
    if country == HOME:
        return "none: in the UK"
    found = safeguard_of(processor) if processor is not None else None
    verdict = assess(
        uow.policy.transfers, country, uow.clock.now().date(), [found] if found else []
    )
    if verdict.allowed:
        return verdict.basis
    return f"NOT COVERED: missing {verdict.missing}"


def retention_words(uow: UnitOfWork, categories: Iterable[str]) -> str:
    """Each category's period and what happens then, from the policy file."""
    parts = []
    for value in categories:
        rule = uow.policy.retention.rule(DataCategory(value))
        after = rule.after.replace("_", " ")
        parts.append(f"{label_of(value)}: {rule.period.words()} after {after}")
    return "; ".join(parts)


def purpose_words(purposes: Iterable[str]) -> str:
    """Each purpose with its lawful basis (once when they read the same: legal obligation)."""
    parts = []
    for value in purposes:
        purpose = value.replace("_", " ")
        basis = service.BASIS[Purpose(value)].value.replace("_", " ")
        parts.append(purpose if purpose == basis else f"{purpose} ({basis})")
    return "; ".join(parts)


def system_row(
    uow: UnitOfWork, system: ProcessingSystem, by_id: dict[Any, Processor]
) -> dict[str, str]:
    """One system as the record shows it."""
    processor = by_id.get(system.processor_id) if system.processor_id else None
    categories = service.split(system.categories)
    return {
        "system": system.name,
        "run_by": f"{processor.name} (processor)" if processor else "Klaremont (controller)",
        "categories": labels_of(categories),
        "purposes": purpose_words(service.split(system.purposes)),
        "recipients": system.recipients,
        "location": system.location,
        "country": system.country,
        "transfer": transfer_words(uow, processor, system.country),
        "retention": retention_words(uow, categories),
        "security": system.security,
        "source": system.source,
    }


@dataclass(frozen=True, slots=True)
class Record:
    """The record of processing at one moment."""

    generated_at: datetime
    rows: list[dict[str, str]]

    def table(self) -> list[tuple[str, ...]]:
        """The rows as tuples in :data:`HEADER` order."""
        return [tuple(row[k] for k in KEYS) for row in self.rows]


def record(uow: UnitOfWork) -> Record:
    """Every system of the record of processing, by name."""
    by_id = {p.id: p for p in service.processors(uow)}
    rows = [system_row(uow, s, by_id) for s in service.systems(uow)]
    return Record(uow.clock.now(), rows)


def covered_categories(uow: UnitOfWork) -> set[str]:
    """Every data category some system of the record names."""
    return {c for s in service.systems(uow) for c in service.split(s.categories)}


def to_csv(made: Record) -> str:
    """The record as CSV; a cell a spreadsheet would read as a formula is quoted with ``'``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in made.table():
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()


def to_json(made: Record) -> str:
    """The record as JSON (controller, generation time, one object per system)."""
    return json.dumps(
        {
            "controller": "Klaremont",
            "record": "UK GDPR Article 30(1) record of processing activities",
            "generated_at": made.generated_at.isoformat(),
            "systems": made.rows,
        },
        indent=2,
        ensure_ascii=False,
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Record of processing</title>
<style>body{font-family:sans-serif;margin:1.5rem}table{border-collapse:collapse}
th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}</style></head>
<body><h1>Record of processing activities (UK GDPR Article 30)</h1>
<p>Controller: Klaremont. Generated {{ generated }} (UTC). {{ rows | length }} systems.</p>
<table><thead><tr>{% for h in header %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></body></html>
"""


def to_html(made: Record) -> str:
    """The record as one standalone HTML page (escaped)."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_PAGE).render(
        generated=made.generated_at.strftime("%Y-%m-%d %H:%M"), header=HEADER, rows=made.table()
    )


def for_access_copy(uow: UnitOfWork, categories: Iterable[str]) -> dict[str, Any] | None:
    """Extension point ``processing_record``: the recipients of this person's data and the
    transfers outside the UK, from the register (``None`` when the register is empty)."""
    held = set(categories)
    found = service.processors(uow)
    if not found:
        return None
    recipients: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    for processor in found:
        theirs = sorted(held & set(service.split(processor.categories)))
        if not theirs:
            continue
        recipients.append(
            {
                "who": processor.name,
                "why": processor.role,
                "country": processor.country,
                "your_data_categories": theirs,
            }
        )
        if processor.country != HOME:
            transfers.append(
                {
                    "to": processor.name,
                    "country": processor.country,
                    "safeguard": transfer_words(uow, processor, processor.country),
                    "mechanism": MECHANISM_WORDS[processor.mechanism],
                }
            )
    return {"recipients": recipients, "transfers": transfers}
