"""A finished scan is recorded as a run with its report: numbered, audited with counts only,
and no stored column holds a full card number (masked samples only)."""

from __future__ import annotations

import json

import pytest
from scanweb_support import CARD, CARD_SPACED, people, plant
from sqlalchemy import select, text

from klaremont.audit.models import AuditEvent
from klaremont.detectors.cards import MASK_PREFIX
from klaremont.detectors.kinds import Kind
from klaremont.errors import NotFound
from klaremont.incidents.models import Incident
from klaremont.scan import engine, service
from klaremont.scan.actions import ScanAction
from klaremont.scan.models import ScanStatus
from klaremont.scan.selfscan import SELF_KINDS


def _scan(platform, label: str = "exports folder"):
    folder = plant(platform).parent
    return engine.run(engine.ScanRequest((str(folder),), SELF_KINDS, label=label))


@pytest.mark.policy("IS-SENS-MASK")
def test_a_recorded_scan_keeps_counts_and_masked_samples_only(platform):
    staff = people(platform)
    result = _scan(platform)
    assert result.counts()[Kind.CARD] == 1
    with platform.unit_of_work(actor=staff["tess"]) as uow:
        reference = service.record(uow, result, raise_incident=False)
    assert reference == "SC-2026-0001"
    with platform.unit_of_work() as uow:
        run = service.get(uow, reference.lower())
        assert run.status is ScanStatus.CARD_DATA
        assert run.card_data == 1
        assert run.actor_name == "tess"
        assert not run.own_data
        assert not run.incident_raised
        assert service.counts(run) == {Kind.CARD: 1}
        back = service.report(uow, run)
        assert [f.sample for f in back.findings] == [MASK_PREFIX + CARD[-4:]]
        assert service.list_runs(uow)[0].reference == reference
        assert service.latest_self(uow) is None
        audit = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == ScanAction.RECORDED.value)
        ).one()
        assert json.loads(audit.details)["found"] == ["card-number: 1"]
        assert uow.session.scalar(select(Incident.id)) is None
        with pytest.raises(NotFound, match="SC-2026-0009"):
            service.get(uow, "SC-2026-0009")
    # nothing stored holds the number, in any spelling
    with platform.engine.connect() as conn:
        stored = [
            " ".join(str(v) for v in row)
            for table in ("scan_runs", "scan_reports", "audit_events")
            for row in conn.execute(text(f"SELECT * FROM {table}"))
        ]
    joined = "\n".join(stored)
    assert CARD[-4:] in joined
    for spelling in (CARD, CARD_SPACED, CARD[:12]):
        assert spelling not in joined


def test_references_are_numbered_within_the_year(platform):
    result = _scan(platform)
    with platform.unit_of_work() as uow:
        first = service.record(uow, result, raise_incident=False)
        second = service.record(uow, result, raise_incident=False)
    assert (first, second) == ("SC-2026-0001", "SC-2026-0002")


def test_a_clean_scan_is_clean(platform, tmp_path):
    (tmp_path / "notes.txt").write_text("test card 4111 1111 1111 1111 only\n", "utf-8")
    result = engine.run(engine.ScanRequest((str(tmp_path),), SELF_KINDS, label="notes"))
    with platform.unit_of_work() as uow:
        run = service.get(uow, service.record(uow, result, raise_incident=True))
        assert run.status is ScanStatus.CLEAN
        assert run.card_data == 0
        assert not run.incident_raised
        assert service.counts(run) == {Kind.TEST_CARD: 1}
