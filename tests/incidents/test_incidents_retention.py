"""An ended incident's whole record goes six years after it ended: every table of the case,
its evidence files on disk and its keys; the append-only tables let nothing else go."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from affected_support import shopper
from dateutil.relativedelta import relativedelta
from exercise_support import ISO, run_to_close
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from klaremont import holds
from klaremont.backup import service as backup
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.incidents import affected, evidence, integrity, service, workflow
from klaremont.incidents.affected_models import IncidentReadAlert
from klaremont.incidents.casefile_models import IncidentEvidence, IncidentPurge
from klaremont.incidents.models import Incident, IncidentDeadlineAlert
from klaremont.incidents.retention import CHILDREN
from klaremont.incidents.states import IncidentKind, IncidentState, Involvement, Recipient
from klaremont.retention import engine
from klaremont.testing.retention import dry_run_then_run

TARGET = ("incidents.records",)
SIX_YEARS = relativedelta(years=6)  # the policy's retention.incident_records.period
TABLES = ("incidents", *(model.__tablename__ for model in CHILDREN))


def _report(platform, what: str) -> tuple[str, object]:
    with platform.unit_of_work() as uow:
        made = service.report(
            uow,
            service.NewReport(
                IncidentKind.SYSTEM_COMPROMISE, what, Involvement.YES, Involvement.UNSURE
            ),
            ISO,
        )
        return made.reference, made.id


def _case(platform, what: str, *, customer=None, hold: str = "lifted") -> tuple[str, object]:
    """A case with every kind of record: evidence on disk, an affected customer and a legal
    hold (``lifted``, ``in force`` or none), a deadline alert, a high-alert read; closed."""
    reference, key = _report(platform, what)
    with platform.unit_of_work() as uow:
        incident = service.find(uow, ISO, reference)
        evidence.add(uow, ISO, incident, io.BytesIO(b"egress log\n" * 50), "egress.log", "Kept.")
        now = uow.clock.now()
        uow.session.add(
            IncidentDeadlineAlert(
                incident_id=key, recipient=Recipient.ICO, stage="24h", raised_at=now, messages=1
            )
        )
        if customer is not None:
            affected.add(uow, ISO, incident, customer.reference, "In the leaked export.")
            uow.session.add(
                IncidentReadAlert(
                    incident_id=key,
                    subject_ref=customer.subject_id,
                    customer_reference=customer.reference,
                    reader="staff:sue",
                    what="customer",
                    purpose="support",
                    read_at=now,
                    action_number=1,
                )
            )
        if hold != "none":
            affected.place_hold(uow, ISO, incident, "A claim may follow the breach.")
        if hold == "lifted":
            affected.lift_hold(uow, ISO, incident, "The claim period advice says no claim.")
    run_to_close(platform, reference)
    return reference, key


def _dismissed(platform) -> tuple[str, object]:
    reference, key = _report(platform, "A printer jam reported as an attack.")
    with platform.unit_of_work() as uow:
        incident = service.find(uow, ISO, reference)
        workflow.move(uow, ISO, incident, IncidentState.INVESTIGATING)
        workflow.move(uow, ISO, incident, IncidentState.DISMISSED, "A paper jam, not an incident.")
    return reference, key


def _rows_of(platform, key) -> dict[str, int]:
    """The case's rows in every table of its record."""
    with platform.unit_of_work() as uow:
        found = {
            "incidents": int(
                uow.session.scalar(select(func.count()).where(Incident.id == key)) or 0
            )
        }
        for model in CHILDREN:
            column = model.__table__.c.incident_id
            query = select(func.count()).select_from(model).where(column == key)
            found[model.__tablename__] = int(uow.session.scalar(query) or 0)
        return found


def _stored(platform, key) -> list[tuple[object, str]]:
    with platform.unit_of_work() as uow:
        rows = uow.session.execute(
            select(IncidentEvidence.id, IncidentEvidence.stored_as).where(
                IncidentEvidence.incident_id == key
            )
        ).all()
    root = platform.settings.var_dir / "evidence"
    return [(item, root / stored_as) for item, stored_as in rows]


def _execute(platform, statement: str, **values) -> None:
    with platform.engine.begin() as conn:
        conn.execute(text(statement), values)


def _key(platform, column_value) -> object:
    """A uuid as the database compares it in raw SQL (SQLite keeps 32 hex digits)."""
    return column_value.hex if platform.engine.dialect.name == "sqlite" else column_value


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE", "SP-IRP-EVIDENCE")
def test_an_ended_incident_goes_six_years_after_it_ended(platform, clock, people):
    del people
    customer = shopper(platform, "held")
    closed, closed_id = _case(platform, "Night-time egress from web-01.", customer=customer)
    closed_at = clock.now()
    clock.advance(timedelta(hours=1))
    _, dismissed_id = _dismissed(platform)
    kept, kept_id = _case(platform, "A lost laptop.", customer=customer, hold="in force")
    still_open, _ = _report(platform, "Still being looked at.")
    closed_rows = _rows_of(platform, closed_id)
    assert all(closed_rows.values()), closed_rows  # a row in every table of the record
    files = _stored(platform, closed_id)
    kept_files = _stored(platform, kept_id)
    assert all(path.is_file() for _, path in files + kept_files)

    clock.set(closed_at + SIX_YEARS - timedelta(seconds=1))  # a second early: nothing goes
    early = dry_run_then_run(platform, TARGET)
    assert early.listed == early.purged == {TARGET[0]: []}
    assert early.changed == {}

    clock.set(closed_at + SIX_YEARS)
    ran = dry_run_then_run(platform, TARGET)
    assert ran.listed == ran.purged == {TARGET[0]: [closed_id.hex]}
    assert ran.done == {TARGET[0]: 1}
    gone = {table: -n for table, n in closed_rows.items() if n}
    assert ran.changed == {**gone, "incident_purges": 1}  # nothing else anywhere
    assert _rows_of(platform, closed_id) == dict.fromkeys(closed_rows, 0)
    assert not any(path.exists() for _, path in files)
    assert not (platform.settings.var_dir / "evidence" / closed).exists()
    for item in (closed_id, *(item for item, _ in files)):
        assert platform.keystore.is_destroyed(item)
    assert all(path.is_file() for _, path in kept_files)
    assert not any(platform.keystore.is_destroyed(item) for item, _ in kept_files)
    with platform.unit_of_work() as uow:
        mark = uow.session.get(IncidentPurge, closed_id)
        assert (mark.reference, mark.purged_at) == (closed, clock.now())
        held = [h.holder for h in holds.every_hold(uow) if h.subject_id == customer.subject_id]
        assert held == [f"incident {kept}"]  # the lost laptop's hold still keeps the customer

    clock.advance(timedelta(minutes=59, seconds=59))  # dismissed an hour later: a second early
    assert dry_run_then_run(platform, TARGET).listed == {TARGET[0]: []}
    clock.advance(timedelta(seconds=1))
    then = dry_run_then_run(platform, TARGET)
    assert then.listed == then.purged == {TARGET[0]: [dismissed_id.hex]}

    clock.advance(timedelta(days=365 * 20))  # a hold in force and an open case: never
    again = dry_run_then_run(platform, TARGET)
    assert again.listed == again.purged == {TARGET[0]: []}
    assert again.changed == {}
    with platform.unit_of_work() as uow:
        left = set(uow.session.scalars(select(Incident.reference)))
        assert left == {kept, still_open}
        assert integrity.verify_all(uow).ok  # what remains still verifies, files included
    assert platform.audit.verify(platform.engine).ok


@pytest.mark.policy("SP-IRP-EVIDENCE")
def test_the_append_only_tables_let_only_a_purge_through(platform, clock, people):
    """A DELETE is refused unless the case is ended *and* marked purged; UPDATE always is,
    and a mark can be neither changed nor taken back."""
    del people
    closed, closed_id = _case(platform, "Night-time egress from web-01.", hold="none")
    still_open, open_id = _report(platform, "Still being looked at.")
    refused = [
        (closed_id, t) for t in ("incident_actions", "incident_evidence", "incident_custody")
    ]
    refused += [(closed_id, "incident_member_reports"), (open_id, "incident_actions")]
    for key, table in refused:
        assert _rows_of(platform, key)[table]
        with pytest.raises(DBAPIError, match=f"{table} is append-only"):
            _execute(platform, f"DELETE FROM {table} WHERE incident_id = :k", k=_key(platform, key))
    now = clock.now()
    for key, reference in ((closed_id, closed), (open_id, still_open)):
        _execute(
            platform,
            "INSERT INTO incident_purges (incident_id, reference, ended_at, purged_at) "
            "VALUES (:k, :r, :at, :at)",
            k=_key(platform, key),
            r=reference,
            at=now,
        )
    with pytest.raises(DBAPIError, match="incident_actions is append-only"):  # not ended
        _execute(
            platform,
            "DELETE FROM incident_actions WHERE incident_id = :k",
            k=_key(platform, open_id),
        )
    with pytest.raises(DBAPIError, match="incident_actions is append-only"):  # never an edit
        _execute(
            platform,
            "UPDATE incident_actions SET text = 'rewritten' WHERE incident_id = :k",
            k=_key(platform, closed_id),
        )
    for statement in ("DELETE FROM incident_purges", "UPDATE incident_purges SET reference = 'x'"):
        with pytest.raises(DBAPIError, match="incident_purges is append-only"):
            _execute(platform, statement)
    # ended and marked: the purge's own delete goes through
    _execute(
        platform,
        "DELETE FROM incident_custody WHERE incident_id = :k",
        k=_key(platform, closed_id),
    )
    _execute(
        platform,
        "DELETE FROM incident_evidence WHERE incident_id = :k",
        k=_key(platform, closed_id),
    )
    assert _rows_of(platform, closed_id)["incident_evidence"] == 0
    assert _rows_of(platform, open_id)["incident_actions"] > 0


def _restore(platform, path) -> None:
    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["backup", "restore", str(path), "--yes"])
        assert result.exit_code == 0, result.output
    finally:
        use_platform(None)


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE")
def test_a_restore_from_before_the_purge_does_not_bring_the_case_back(platform, clock, people):
    """The backup holds the case and its keys (evidence files are not in a backup); restored,
    the ledger purges it again: rows and keys, and no evidence file is left."""
    del people
    closed, closed_id = _case(platform, "Night-time egress from web-01.", hold="none")
    files = _stored(platform, closed_id)
    clock.advance(SIX_YEARS + timedelta(days=1))
    path, _ = backup.create(platform)
    assert engine.run(platform).plans_by_target()[TARGET[0]].done == 1
    _restore(platform, path)
    assert _rows_of(platform, closed_id) == dict.fromkeys(_rows_of(platform, closed_id), 0)
    assert not any(p.exists() for _, p in files)
    assert not (platform.settings.var_dir / "evidence" / closed).exists()
    assert all(platform.keystore.is_destroyed(item) for item in (closed_id, *(i for i, _ in files)))
    assert platform.audit.verify(platform.engine).ok
