"""Evidence files of an incident (SP-IRP-EVIDENCE): taken in encrypted, hashed at intake,
handed out only to those who may see the case, every handling on the chain of custody.

- **Taking a file in** (:func:`add`): the ISO or a member of the incident's team, while the
  case is open. The name is checked plain text (no path, no control character, no card
  number); a reason is required. A file holding card data is refused, never kept
  (:mod:`klaremont.incidents.evidence_scan`). The file is sealed as it is read
  (:mod:`klaremont.incidents.evidence_file`) under a data key of its own in the keystore,
  the SHA-256 and size of the plaintext taken on the way, refused past
  ``KLAREMONT_EVIDENCE_MAX_MEGABYTES``; it is written beside its final name, flushed to
  disk and renamed, then recorded (row, first custody entry, action-log entry).
- **Handing it out** (:func:`release`): anyone who may see the incident (the caller found
  it through :func:`klaremont.incidents.service.find`), with a reason. The whole file is
  decrypted and re-hashed first; an altered or missing file is refused (409) and the
  refusal audited, so nobody receives evidence that is not what was taken in. Then the
  handing out is recorded (``downloaded`` or ``exported``) before a byte goes out.
- **Verifying** (:func:`verify_files`, ``klaremont incidents verify``): every file decrypted
  and re-hashed, each result a ``verified`` custody entry (intact, altered, missing or
  unreadable, with where it broke).

Slow work (sealing, hashing) runs with no database lock held (``uow.unlocked``).
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from sqlalchemy import func, select

from klaremont.audit.events import Outcome
from klaremont.crypto.errors import CryptoError
from klaremont.detectors.free_text import plain
from klaremont.errors import Conflict, NotFound, ValidationFailed
from klaremont.incidents import casework, custody, evidence_file, log
from klaremont.incidents.actions import IncidentAction
from klaremont.incidents.casefile_models import (
    FILE_NAME_MAX,
    WHY_MAX,
    CustodyHandling,
    Finding,
    IncidentEvidence,
)
from klaremont.incidents.evidence_scan import CardScan
from klaremont.incidents.evidence_settings import EvidenceSettings
from klaremont.incidents.states import ActionKind

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from klaremont.incidents.models import Incident
    from klaremont.incidents.visibility import Viewer
    from klaremont.platform import UnitOfWork

WHY_MIN = 3
SUFFIX = ".kev"
_PATH_PARTS = re.compile(r"[\\/]")


def size_words(size: int) -> str:
    """``812 bytes``, ``14.2 KB``, ``3.1 MB`` (binary units, as file managers show)."""
    if size < 1024:  # noqa: PLR2004 - a kilobyte
        return f"{size:,} byte{'s' if size != 1 else ''}"
    for unit in ("KB", "MB", "GB"):
        size_f = size / 1024
        if size_f < 1024 or unit == "GB":  # noqa: PLR2004 - the next unit
            return f"{size_f:,.1f} {unit}"
        size //= 1024
    return f"{size:,} GB"  # pragma: no cover - the loop always returns


def clean_name(name: str | None) -> str:
    """The uploaded file's own name, checked as plain text (the field is ``file``)."""
    text = unicodedata.normalize("NFC", name or "")
    text = _PATH_PARTS.split(text)[-1].strip()  # a browser may send a whole path
    if text in {"", ".", ".."}:
        raise ValidationFailed.single("file", "must be filled in: choose the file to add")
    return plain("file", text, max_length=FILE_NAME_MAX)


def directory(uow: UnitOfWork) -> Path:
    """The evidence directory of this installation (made owner-only when first used)."""
    return EvidenceSettings().directory(uow.platform.settings)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _next_number(uow: UnitOfWork, incident: Incident) -> int:
    log.lock_case(uow, incident.id)
    last = uow.session.scalar(
        select(func.max(IncidentEvidence.number)).where(IncidentEvidence.incident_id == incident.id)
    )
    return (last or 0) + 1


def _seal_to_disk(  # noqa: PLR0917 - the file, where it goes, and how it is sealed
    source: evidence_file.Readable,
    folder: Path,
    evidence_id: uuid.UUID,
    aead: AESGCM,
    version: int,
    limit: int,
) -> tuple[Path, evidence_file.Intake]:
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)  # the evidence directory
    folder.mkdir(exist_ok=True, mode=0o700)
    final = folder / f"{evidence_id}{SUFFIX}"
    partial = folder / f".{evidence_id}.part"
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as target:
            intake = evidence_file.seal(source, target, aead, evidence_id, version, limit)
            target.flush()
            os.fsync(target.fileno())
        partial.replace(final)
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    return final, intake


def add(  # noqa: PLR0917 - the case, the file and the reason
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    source: IO[bytes],
    name: str | None,
    why: str | None,
) -> IncidentEvidence:
    """Take ``source`` (read to its end) in as the incident's next evidence file."""
    casework.require_actor(uow, viewer, incident)
    casework.require_open(incident)
    original = clean_name(name)
    said = plain("why", why, max_length=WHY_MAX, min_length=WHY_MIN)
    settings = EvidenceSettings()
    evidence_id = uuid.uuid4()
    keystore = uow.crypto.keystore
    reference = incident.reference
    folder = settings.directory(uow.platform.settings) / reference

    def seal() -> tuple[Path, evidence_file.Intake, int]:
        key = keystore.ensure_subject_key(evidence_id)
        scanned = CardScan(source)
        try:
            path, intake = _seal_to_disk(
                scanned, folder, evidence_id, key.aead, key.version, settings.max_bytes
            )
        except evidence_file.TooLarge:
            keystore.destroy(evidence_id, "evidence refused: too large")
            raise ValidationFailed.single(
                "file", f"must be at most {settings.max_megabytes} MB"
            ) from None
        refused = scanned.refusal()
        if refused is not None:  # sealed, but never kept: the file and its key go
            path.unlink()
            keystore.destroy(evidence_id, "evidence refused: card data")
            raise ValidationFailed.single("file", refused)
        return path, intake, key.version

    path, intake, version = uow.unlocked(seal)
    item = IncidentEvidence(
        id=evidence_id,
        incident_id=incident.id,
        number=_next_number(uow, incident),
        original_name=original,
        size=intake.size,
        sha256=intake.sha256,
        stored_as=f"{reference}/{path.name}",
        key_version=version,
        why=said,
        added_by=(uow.actor.label or uow.actor.id)[:64],
        added_at=uow.clock.now(),
    )
    uow.session.add(item)
    uow.session.flush()
    custody.record(uow, incident, item, CustodyHandling.ADDED, said)
    log.append(
        uow,
        incident,
        ActionKind.INVESTIGATION,
        f"Evidence {item.number} taken in: {original} ({size_words(item.size)}), "
        f"SHA-256 {item.sha256}. Why: {said}",
    )
    return item


def items(uow: UnitOfWork, incident: Incident) -> list[IncidentEvidence]:
    """The incident's evidence files, in the order they were taken in."""
    return list(
        uow.session.scalars(
            select(IncidentEvidence)
            .where(IncidentEvidence.incident_id == incident.id)
            .order_by(IncidentEvidence.number)
        )
    )


def item_of(uow: UnitOfWork, incident: Incident, number: int) -> IncidentEvidence:
    """Evidence file ``number`` of the incident (404 when there is none)."""
    found = uow.session.scalars(
        select(IncidentEvidence).where(
            IncidentEvidence.incident_id == incident.id, IncidentEvidence.number == number
        )
    ).first()
    if found is None:
        raise NotFound(f"{incident.reference} has no evidence file {number}.")
    return found


def _key_for(uow: UnitOfWork, item: IncidentEvidence) -> Callable[[int], AESGCM]:
    keystore = uow.crypto.keystore
    return lambda version: keystore.data_key(item.id, version).aead


@dataclass(frozen=True, slots=True)
class Check:
    """What a verification of one file found."""

    finding: Finding
    note: str


def check_file(uow: UnitOfWork, item: IncidentEvidence) -> Check:
    """Decrypt and re-hash one stored file against what was recorded at intake."""
    path = directory(uow) / item.stored_as
    if not path.is_file():
        return Check(Finding.MISSING, f"the stored file {item.stored_as} is missing")
    try:
        with path.open("rb") as source:
            found = evidence_file.digest_of(source, _key_for(uow, item), item.id)
    except evidence_file.Damaged as damaged:
        return Check(Finding.ALTERED, damaged.why)
    except CryptoError as exc:
        return Check(Finding.UNREADABLE, f"its key cannot be used: {exc.detail}")
    if found.size != item.size or found.sha256 != item.sha256:
        return Check(
            Finding.ALTERED,
            f"its content ({size_words(found.size)}, SHA-256 {found.sha256}) no longer "
            "matches the SHA-256 taken at intake",
        )
    return Check(Finding.INTACT, f"{size_words(found.size)}; SHA-256 matches the intake")


@dataclass(frozen=True, slots=True)
class Release:
    """An evidence file handed out: its name, size and content (decrypted as it is read)."""

    name: str
    size: int
    sha256: str
    chunks: Callable[[], Iterator[bytes]]


class EvidenceAltered(Conflict):
    """The stored file is not what was taken in: it is not handed out."""

    code = "evidence-altered"
    title = "The evidence file failed its check"


def release(  # noqa: PLR0917 - the case, the file, the reason and how it leaves
    uow: UnitOfWork,
    viewer: Viewer,
    incident: Incident,
    number: int,
    why: str | None,
    handling: CustodyHandling = CustodyHandling.DOWNLOADED,
) -> Release:
    """Hand out evidence file ``number`` after checking it; recorded on its chain first."""
    del viewer  # whoever may see the case (checked by service.find) may have its evidence
    said = plain("why", why, max_length=WHY_MAX, min_length=WHY_MIN)
    item = item_of(uow, incident, number)
    checked = uow.unlocked(lambda: check_file(uow, item))
    if checked.finding is not Finding.INTACT:
        resource = f"{log.resource_of(incident)}/evidence/{item.number}"
        details = {
            "reference": incident.reference,
            "evidence": item.number,
            "finding": checked.finding.value,
            "refused": handling.value,
        }
        uow.keep_only_refusal(
            lambda: uow.audit(
                IncidentAction.EVIDENCE_VERIFIED,
                Outcome.FAILURE,
                resource=resource,
                details=details,
            )
        )
        raise EvidenceAltered(
            f"Evidence {number} of {incident.reference} is not handed out: {checked.note}. "
            "Tell the Information Security Officer."
        )
    custody.record(uow, incident, item, handling, said)
    path = directory(uow) / item.stored_as
    key_for = _key_for(uow, item)
    evidence_id = item.id

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as source:
            yield from evidence_file.plaintext(source, key_for, evidence_id)

    return Release(item.original_name, item.size, item.sha256, chunks)


def verify_files(
    uow: UnitOfWork, incidents: dict[uuid.UUID, Incident], why: str
) -> list[tuple[Incident, IncidentEvidence, Check]]:
    """Check every evidence file of ``incidents``; each result goes on the file's chain."""
    found: list[tuple[Incident, IncidentEvidence, Check]] = []
    rows = uow.session.scalars(
        select(IncidentEvidence)
        .where(IncidentEvidence.incident_id.in_(list(incidents)))
        .order_by(IncidentEvidence.incident_id, IncidentEvidence.number)
    )
    stored = list(rows)
    checks = uow.unlocked(lambda: [check_file(uow, item) for item in stored])
    for item, checked in zip(stored, checks, strict=True):
        incident = incidents[item.incident_id]
        custody.record(
            uow, incident, item, CustodyHandling.VERIFIED, why, checked.finding, checked.note
        )
        found.append((incident, item, checked))
    return found
