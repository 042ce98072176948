"""What an audit event's resource is, in words staff read, from the capability that owns it.

Events store their resource as ``kind:identifier`` (``subject:<id>``, ``dsr:<id>``,
``customer:<id>/addresses``): exact, and what the filters and exports match. The console
shows it as the thing staff know (``Customer C0000003``, ``Request DSR-7K3M9QXA``), with the
stored text beside it on hover. Each capability names its own kinds through the extension
point ``audit_resource_names`` (the audit log imports none of them): a provider is
``names(session, wanted) -> {(kind, id): words}``, given the page's ids by kind (each stored
resource read once), for the kinds it owns: one query a kind, once a page.

A resource no provider names reads as its kind in words and its own reference when it
carries no id (``scan:SC-2026-0002`` as ``Scan SC-2026-0002``), and as its kind in words with
"not on record" when it does (the thing was erased or removed: its id says nothing to a
reader and is kept on hover).
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from klaremont import capabilities

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

POINT = "audit_resource_names"
#: kind -> the ids of that kind on the page
Wanted = Mapping[str, Collection[uuid.UUID]]
Namer = Callable[["Session", Wanted], Mapping[tuple[str, uuid.UUID], str]]

_KIND = re.compile(r"[a-z][a-z_-]{0,31}")
_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: A thing named by an id that no capability could name now (erased or removed).
_GONE_WORDS = {
    "subject": "A person",
    "customer": "A customer",
    "address": "An address",
    "contact": "A contact record",
    "card": "A payment card",
    "dsr": "A request",
    "staff": "A staff account",
    "remote-grant": "A remote access grant",
    "kek": "An encryption key",
}
#: A resource that is one whole thing.
_WHOLE = {"audit_events": "The audit log"}
#: A thing named by its own reference: the kind in words, before the reference.
_KIND_WORDS = {
    "dsr": "Request",
    "kek": "Encryption key",
    "processing-system": "Processing system",
    "policy-section": "Policy section",
    "retention-run": "Retention run",
    "retention-hold": "Litigation hold",
    "staff": "Staff account",
    "wifi-batch": "Guest wireless codes",
    "wifi-ap": "Wireless access point",
}


def parse(resource: str) -> tuple[str, uuid.UUID, str] | None:
    """``("customer", id, "/addresses")`` for ``customer:<id>/addresses``; ``None`` if no id."""
    kind, sep, rest = resource.partition(":")
    found = _ID.match(rest) if sep else None
    if found is None:
        return None
    return kind, uuid.UUID(found.group(0)), rest[found.end() :]


def suffixed(words: str, suffix: str) -> str:
    """A part named after the thing: ``/addresses`` -> ``Customer C0000003: addresses``."""
    part = suffix.strip("/").replace("-", " ").replace("_", " ")
    return f"{words}: {part}" if part else words


def _named_by_reference(resource: str) -> str:
    """``scan:SC-2026-0002`` -> ``Scan SC-2026-0002``; text without a kind stays as stored."""
    kind, sep, rest = resource.partition(":")
    if not sep or not rest or not _KIND.fullmatch(kind):
        return _WHOLE.get(resource, resource)
    return f"{_kind_words(kind)} {rest}"


def _kind_words(kind: str) -> str:
    return _KIND_WORDS.get(kind, kind.replace("-", " ").replace("_", " ").capitalize())


def names(session: Session, resources: Iterable[str]) -> dict[str, str]:
    """Every resource in words: the owning capability's, or the fallback described above."""
    parsed = {resource: parse(resource) for resource in resources if resource}
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for found in parsed.values():
        if found is not None:
            wanted[found[0]].add(found[1])
    said: dict[tuple[str, uuid.UUID], str] = {}
    if wanted:
        for provider in capabilities.extensions(POINT):
            said.update(provider(session, wanted))
    named: dict[str, str] = {}
    for resource, found in parsed.items():
        if found is None:
            named[resource] = _named_by_reference(resource)
            continue
        kind, ident, suffix = found
        words = said.get((kind, ident))
        if words is None:
            words = f"{_GONE_WORDS.get(kind, _kind_words(kind))} not on record"
        named[resource] = suffixed(words, suffix)
    return named
