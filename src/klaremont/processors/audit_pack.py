"""The processors capability's part of the evidence pack (extension point
``evidence_files``): the record of processing (Art. 30) as HTML, CSV and JSON, and the
processor register with its contract, agreement and attestation dates. The export is
audited like ``klaremont processors ropa``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from klaremont.evidence_files import csv_bytes
from klaremont.processors import ropa, service
from klaremont.processors.actions import ProcessorAction

if TYPE_CHECKING:
    from klaremont.platform import UnitOfWork

REGISTER_HEADER = (
    "Processor",
    "Name",
    "Role",
    "Country",
    "Card data",
    "Data categories",
    "Purposes",
    "Transfer",
    *(words[:1].upper() + words[1:] for words in service.DATE_WORDS.values()),
)


def register_rows(uow: UnitOfWork) -> list[tuple[str, ...]]:
    """One row per processor, by name."""
    return [
        (
            p.key,
            p.name,
            p.role,
            p.country,
            "yes" if p.card_data else "no",
            ", ".join(service.split(p.categories)),
            ", ".join(service.split(p.purposes)),
            ropa.transfer_words(uow, p, p.country),
            *(
                value.isoformat() if (value := getattr(p, name)) is not None else ""
                for name in service.DATE_WORDS
            ),
        )
        for p in service.processors(uow)
    ]


def files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    """``record-of-processing.{html,csv,json}`` and ``processor-register.csv``."""
    made = ropa.record(uow)
    uow.audit(ProcessorAction.RECORD_EXPORTED, resource="processors:ropa")
    return [
        ("record-of-processing.html", ropa.to_html(made).encode("utf-8")),
        ("record-of-processing.csv", ropa.to_csv(made).encode("utf-8")),
        ("record-of-processing.json", ropa.to_json(made).encode("utf-8")),
        ("processor-register.csv", csv_bytes(REGISTER_HEADER, register_rows(uow))),
    ]
