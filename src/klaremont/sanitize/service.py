"""One sanitised copy, start to finish: rules, copy, proof, report; a failed copy deleted.

The run key comes from a file or ``KLAREMONT_SANITIZE_KEY`` and never goes into the copy
or the report (the report shows a short keyed fingerprint of it, so two reports can be
compared without revealing it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from klaremont import inputfiles as files
from klaremont.platform import Platform
from klaremont.sanitize import copying, rules
from klaremont.sanitize import place as places
from klaremont.sanitize.bulkload import indexes_after_rows
from klaremont.sanitize.copykeys import CopyKeys
from klaremont.sanitize.fakes import Faker
from klaremont.sanitize.schema import make_schema
from klaremont.sanitize.settings import SanitizeSettings
from klaremont.sanitize.verify import summary, verify
from klaremont.scan.databases import safe_url

if TYPE_CHECKING:
    from klaremont.config import Settings

KEY_ENV: Final = "KLAREMONT_SANITIZE_KEY"


class KeyMissing(Exception):
    """No usable run key."""


def run_key(key_file: Path | None) -> bytes:
    """The run key: the file's content, else ``KLAREMONT_SANITIZE_KEY`` (base64 or text);
    a file of random bytes is taken as they are."""
    if key_file is not None:
        data = files.read_bytes(key_file, "--key-file")
        try:
            raw = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            return _long_enough(data)  # raw random bytes (head -c 32 /dev/urandom)
    else:
        secret = SanitizeSettings().key
        raw = secret.get_secret_value().strip() if secret is not None else ""
    if not raw:
        msg = f"--key-file or {KEY_ENV}: a run key is needed (32 random bytes in base64)"
        raise KeyMissing(msg)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        key = raw.encode()
    return _long_enough(key)


def _long_enough(key: bytes) -> bytes:
    if len(key) < 16:  # noqa: PLR2004 - 128 bits at least
        msg = "the run key must hold at least 16 bytes"
        raise KeyMissing(msg)
    return key


def parse_subset(text: str) -> float:
    """``"10%"`` or ``"0.1"`` -> 0.1; refused unless above 0 and at most 100 %."""
    raw = text.strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        msg = f"{text!r} is not a share: write a percentage such as 10%"
        raise ValueError(msg) from None
    if not 0 < share <= 1:
        msg = f"{text!r} must be more than 0 % and at most 100 %"
        raise ValueError(msg)
    return share


@dataclass
class Outcome:
    """What a run produced."""

    report: dict[str, Any]
    passed: bool
    place: places.CopyPlace


def sanitise(
    settings: Settings,
    *,
    source_url: str | None,
    target_url: str,
    key: bytes,
    keys_dir: Path | None = None,
    progress: copying.Progress | None = None,
    subset: float | None = None,
) -> Outcome:
    """Make a verified sanitised copy of the data store at ``source_url`` (default: ours)."""
    plan = rules.plan()  # fails closed, before anything is written
    place = places.place(target_url, keys_dir)
    source_settings = settings
    if source_url and source_url != settings.database_url:
        places.check_source(source_url)
        source_settings = settings.model_copy(update={"database_url": source_url})
    source = Platform.build(source_settings)
    target: Platform | None = None
    began = time.perf_counter()
    started = datetime.now(UTC)
    copy_keys = CopyKeys(key)
    try:
        target_settings = place.settings(partial=True)
        if target_settings.key_file is not None:
            copy_keys.write_key_file(target_settings.key_file)
        if target_settings.audit_signing_key_file is not None:
            copy_keys.write_signing_key(target_settings.audit_signing_key_file)
        target = Platform.build(target_settings)
        places.zero_freed_space(target)
        if not place.is_sqlite:
            places.refuse_non_empty(target.engine)
        target.dispose()
        make_schema(target_settings.database_url, target_settings.keystore_url)
        copier = copying.Copier(source, target, Faker(key), plan, copy_keys, subset=subset)
        prepared = time.perf_counter()
        with indexes_after_rows(target.engine) as aside:
            copier.copy(progress)
        copier.stages["index"] = aside.seconds
        copied = time.perf_counter()
        checked = verify(place, target, copier)
        verified = time.perf_counter()
    except BaseException:
        places.discard(place, target)
        source.dispose()
        raise
    seconds = time.perf_counter() - began
    report = build_report(plan, copier, summary(checked), key)
    report.update(
        {
            "source": safe_url(source_settings.database_url),
            "target": safe_url(place.url),
            "keys": str(place.keys_dir),
            "started_at": started.isoformat(),
            "seconds": round(seconds, 3),
            "rows_per_second": round(report["rows_written"] / seconds) if seconds else 0,
            "subset": None if subset is None else f"{subset:.0%}",
            "customers_left_out_by_subset": copier.sampled_out,
            "stages": stages(copier, prepared - began, copied - prepared, verified - copied),
        }
    )
    transform = report["stages"]["transform"]
    report["transform_rows_per_second"] = round(report["rows_read"] / transform) if transform else 0
    report["transform_work"] = transform_work(report["rows_read"], copier)
    source.dispose()
    if checked.passed:
        target.dispose()
        places.settle(place, target)
        places.promote(place)
    else:
        places.discard(place, target)
    return Outcome(report=report, passed=checked.passed, place=place)


def stages(copier: copying.Copier, prepare: float, copy: float, check: float) -> dict[str, float]:
    """Seconds per stage: prepare (target made, migrations), read, transform, write, index
    (indexes and constraints made once the rows are in), rank (the pre-pass and anything
    else in the copy), verify."""
    measured = dict(copier.stages)
    measured["rank_and_other"] = max(0.0, copy - sum(measured.values()))
    measured["prepare"] = prepare
    measured["verify"] = check
    return {name: round(value, 3) for name, value in measured.items()}


def transform_work(rows: int, copier: copying.Copier) -> dict[str, Any]:
    """The rules' own work, whichever process did it: seconds summed over the processes,
    how many shared it, and the rows per second that makes on that many cores (a stricter
    figure than the "transform" stage, the parent's wait, which overlaps its writes)."""
    processes = max(1, copier.jobs)
    seconds = copier.transform_work
    on_cores = round(rows / (seconds / processes)) if seconds else 0
    return {"seconds": round(seconds, 3), "processes": processes,
            "rows_per_second_on_those_cores": on_cores}  # fmt: skip


def fingerprint(key: bytes) -> str:
    """A short name for a run key that does not reveal it."""
    return hashlib.sha256(b"klaremont sanitise key id\x00" + key).hexdigest()[:12]


def build_report(
    plan: rules.Plan, copier: copying.Copier, checked: dict[str, Any], key: bytes
) -> dict[str, Any]:
    """Every table and column with its rule and counts, and the verification."""
    tables = []
    for table in plan.tables:
        count = copier.counts.get(table.name)
        tables.append(
            {
                "table": table.name,
                "personal": table.personal,
                "dropped": table.dropped,
                "columns": {c: r.text for c, r in table.rules.items()},
                "rows_read": count.read if count else 0,
                "rows_left_out": count.left_out if count else 0,
                "rows_written": count.written if count else 0,
                "transform_seconds": round(count.transform_seconds, 3) if count else 0,
            }
        )
    return {
        "key_fingerprint": fingerprint(key),
        "tables": tables,
        "rows_written": sum(c.written for c in copier.counts.values()),
        "rows_read": sum(c.read for c in copier.counts.values()),
        "verification": checked,
    }
