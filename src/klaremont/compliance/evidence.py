"""The evidence pack: one zip an auditor can check, with a signed manifest of its files.

The pack holds the trace (HTML and JSON), the compliance overview as a PDF (``trace.pdf``:
every clause with its tests and live status, as the console shows it) and every file the
capabilities contribute to the extension point ``"evidence_files"``: each contribution is
``files(uow) -> list[(name, bytes)]`` declared in its own ``capability.py`` (the access
review, the data-subject request register, the incident register, the disposal register, the
processor register, the record of processing), so this module names none of them.
``manifest.json`` lists every file with its size and SHA-256; ``manifest.sig`` is the base64
Ed25519 signature of ``DOMAIN + manifest.json`` with the platform's audit signing key (the
key that signs the audit checkpoints); ``signing-key.pub`` is its public half, to compare
with the published one. :func:`verify_pack` checks a pack against the trusted keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from klaremont import capabilities, jsondepth
from klaremont.compliance.actions import ComplianceAction
from klaremont.compliance.overview import overview
from klaremont.compliance.pdf import overview_pdf
from klaremont.display import uk_datetime
from klaremont.evidence_files import POINT
from klaremont.logging import get_logger
from klaremont.policy.render import trace_html
from klaremont.policy.results import results_path
from klaremont.policy.trace import build_matrix, matrix_json

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from klaremont.platform import UnitOfWork

DOMAIN = b"klaremont-evidence-manifest-v1\n"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
PUBLIC_KEY = "signing-key.pub"
FORMAT = 1
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Pack:
    """The zip's bytes, its file name, and what went into it."""

    content: bytes
    filename: str
    files: tuple[str, ...]
    failed: tuple[str, ...] = field(default=())


def _trace_files(uow: UnitOfWork) -> list[tuple[str, bytes]]:
    platform = uow.platform
    matrix = build_matrix(
        tests_dir=None, results_file=results_path(platform.settings.var_dir), live=platform
    )
    when = uk_datetime(uow.clock.now())
    return [
        ("trace.html", trace_html(matrix).encode("utf-8")),
        ("trace.json", matrix_json(matrix).encode("utf-8")),
        ("trace.pdf", overview_pdf(overview(uow), generated_at=when)),
    ]


def gather(uow: UnitOfWork) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The trace and every contribution's files; the contributions that failed, by module."""
    found = _trace_files(uow)
    failed: list[str] = []
    for contribute in capabilities.extensions(POINT):
        where = getattr(contribute, "__module__", "?")
        try:
            with uow.session.begin_nested():
                made = list(contribute(uow))
        except Exception as exc:  # noqa: BLE001 - one register failing must not lose the pack
            log.warning("evidence.failed", contribution=where, error=type(exc).__name__)
            failed.append(where)
            continue
        found.extend(made)
    names = [name for name, _ in found]
    for name in names:
        if not _NAME.fullmatch(name) or name in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            msg = f"evidence file name {name!r} is not a plain lower-case file name"
            raise ValueError(msg)
    if len(set(names)) != len(names):
        msg = f"two evidence files share a name: {sorted(names)}"
        raise ValueError(msg)
    return found, failed


def manifest(
    files: list[tuple[str, bytes]], *, generated_at: str, key_id: str, failed: list[str]
) -> bytes:
    """The manifest's bytes: each file's name, size and SHA-256, canonical JSON."""
    body = {
        "format": FORMAT,
        "generated_at": generated_at,
        "key_id": key_id,
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in files
        ],
        "not_included": failed,
    }
    return json.dumps(body, indent=2, sort_keys=True).encode("utf-8") + b"\n"


def build_pack(uow: UnitOfWork) -> Pack:
    """Build, sign and zip the pack (audited: who took it, how many files)."""
    signer = uow.platform.audit.signer
    now = uow.clock.now()
    files, failed = gather(uow)
    body = manifest(files, generated_at=now.isoformat(), key_id=signer.key_id, failed=failed)
    signature = signer.sign_message(DOMAIN + body).encode("ascii")
    public = signer.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    buffer = io.BytesIO()
    stamp = (now.year, now.month, now.day, now.hour, now.minute, now.second)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files, (MANIFEST, body), (SIGNATURE, signature), (PUBLIC_KEY, public)]:
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), data)
    uow.audit(
        ComplianceAction.EVIDENCE_EXPORTED,
        resource="compliance:evidence",
        details={"files": len(files), "not_included": len(failed)},
    )
    return Pack(
        content=buffer.getvalue(),
        filename=f"klaremont-evidence-{now:%Y%m%d-%H%M}.zip",
        files=tuple(name for name, _ in files),
        failed=tuple(failed),
    )


def verify_pack(content: bytes, trusted: Mapping[str, Ed25519PublicKey]) -> list[str]:
    """What is wrong with a pack: an unreadable zip, a bad signature, a file whose hash or
    size differs, a file missing or not listed. Empty when the pack verifies."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        body = archive.read(MANIFEST)
        signature = archive.read(SIGNATURE)
        listed = jsondepth.loads(body)
        files = {entry["name"]: entry for entry in listed["files"]}
        key_id = str(listed["key_id"])
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        return [f"not an evidence pack ({type(exc).__name__}: {exc})"]
    problems: list[str] = []
    key = trusted.get(key_id)
    if key is None:
        problems.append(f"manifest signed with key {key_id}, which is not trusted here")
    else:
        try:
            key.verify(base64.b64decode(signature, validate=True), DOMAIN + body)
        except (InvalidSignature, binascii.Error, ValueError):
            problems.append("manifest signature does not verify")
    for name, entry in sorted(files.items()):
        if name not in names:
            problems.append(f"{name}: listed in the manifest but not in the pack")
            continue
        data = archive.read(name)
        if hashlib.sha256(data).hexdigest() != entry.get("sha256") or len(data) != entry.get(
            "bytes"
        ):
            problems.append(f"{name}: SHA-256 differs from the manifest")
    extra = names - set(files) - {MANIFEST, SIGNATURE, PUBLIC_KEY}
    problems.extend(f"{name}: in the pack but not in the manifest" for name in sorted(extra))
    return problems
