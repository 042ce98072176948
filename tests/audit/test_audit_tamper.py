"""Tampering with the stored log, as an attacker with database access, is detected and named.

Each attack first drops the append-only triggers (someone with DDL rights can), then edits
the table with raw SQL. ``verify`` must name the first broken event and the kind of break.
"""

from __future__ import annotations

import dataclasses

import pytest
from audithelp import ALICE, Tamper, Writer, rows
from sqlalchemy import Engine, text
from sqlalchemy.orm import sessionmaker

from klaremont.audit.encoding import GENESIS_HASH, EventFields, chain_hash
from klaremont.audit.log import AuditLog
from klaremont.audit.report import BreakKind
from klaremont.staff.actions import StaffAction

COLUMNS = (
    "occurred_at, actor_type, actor_id, action, outcome, origin, resource, purpose, "
    "request_id, details, prev_hash, hash"
)


@pytest.fixture
def sealed(writer: Writer) -> Writer:
    """Ten events, each committed and sealed by its own checkpoint."""
    writer.many(10)
    return writer


def _broken(audit: AuditLog, engine: Engine) -> tuple[int | None, BreakKind | None]:
    report = audit.verify(engine)
    assert not report.ok
    return report.first_broken, report.kind


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_untouched_log_verifies(sealed: Writer, engine: Engine) -> None:
    """An untouched, sealed log verifies with nothing unsealed."""
    report = sealed.audit.verify(engine)
    assert report.ok, report.findings
    assert (report.events, report.last_seq, report.sealed_seq) == (10, 10, 10)
    assert report.unsealed_tail == 0
    assert report.summary().startswith("OK: 10 events")


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_edited_field_is_reported_as_edited(sealed: Writer, engine: Engine, tamper: Tamper) -> None:
    """Changing one field of event 4 is reported as event 4, edited."""
    tamper("UPDATE audit_events SET outcome = 'failure' WHERE seq = 4")
    assert _broken(sealed.audit, engine) == (4, BreakKind.EDITED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_deleted_middle_row_is_reported_as_deleted(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Deleting event 5 is reported as event 5, deleted."""
    tamper("DELETE FROM audit_events WHERE seq = 5")
    assert _broken(sealed.audit, engine) == (5, BreakKind.DELETED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_deleted_tail_is_caught_by_checkpoint(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Deleting the last three events leaves a sound chain, but the checkpoints show truncation."""
    tamper(
        "DELETE FROM audit_events WHERE seq > 7",
        "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_events WHERE seq = 7)",
    )
    assert _broken(sealed.audit, engine) == (8, BreakKind.TRUNCATED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_swapped_rows_are_reported_as_reordered(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Swapping the contents of events 3 and 6 (numbers kept) is reported as event 3, reordered."""
    stored = {r["seq"]: r for r in rows(engine)}
    assignments = ", ".join(f"{c.strip()} = :{c.strip()}" for c in COLUMNS.split(","))
    sql = f"UPDATE audit_events SET {assignments} WHERE seq = :seq"
    tamper(sql, params={**stored[6], "seq": 3})
    tamper(sql, params={**stored[3], "seq": 6})
    assert _broken(sealed.audit, engine) == (3, BreakKind.REORDERED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_adjacent_swap_is_reported_as_reordered(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Swapping neighbours 7 and 8 is reported as event 7, reordered."""
    stored = {r["seq"]: r for r in rows(engine)}
    assignments = ", ".join(f"{c.strip()} = :{c.strip()}" for c in COLUMNS.split(","))
    sql = f"UPDATE audit_events SET {assignments} WHERE seq = :seq"
    tamper(sql, params={**stored[8], "seq": 7})
    tamper(sql, params={**stored[7], "seq": 8})
    assert _broken(sealed.audit, engine) == (7, BreakKind.REORDERED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_forged_row_is_reported_as_inserted(sealed: Writer, engine: Engine, tamper: Tamper) -> None:
    """A forged event slipped in as number 5 (later ones renumbered) is reported as 5, inserted.

    The forger knows the hash rule and links the forgery correctly to event 4; the chain
    still breaks at the next event, which links to event 4, not to the forgery.
    """
    stored = {r["seq"]: r for r in rows(engine)}
    forged = EventFields(**{**_fields(stored[4]), "seq": 5, "action": "auth.logout"})
    tamper(
        "UPDATE audit_events SET seq = -seq WHERE seq >= 5",
        "UPDATE audit_events SET seq = 1 - seq WHERE seq < 0",
    )
    values = {
        **dataclasses.asdict(forged),
        "prev_hash": stored[4]["hash"],
        "hash": chain_hash(stored[4]["hash"], forged),
    }
    tamper(
        f"INSERT INTO audit_events (seq, {COLUMNS}) VALUES (:seq, "
        + ", ".join(f":{c.strip()}" for c in COLUMNS.split(","))
        + ")",
        params=values,
    )
    assert _broken(sealed.audit, engine) == (5, BreakKind.INSERTED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_rebuilt_chain_is_caught_by_checkpoints(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Editing event 4 and re-hashing everything after it is reported as event 4, rebuilt."""
    stored = rows(engine)
    stored[3]["details"] = '{"fields":["nothing to see"]}'
    prev = GENESIS_HASH
    for row in stored:
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, EventFields(**_fields(row)))
    statements = [
        f"UPDATE audit_events SET details = :d{r['seq']}, prev_hash = :p{r['seq']}, "
        f"hash = :h{r['seq']} WHERE seq = {r['seq']}"
        for r in stored
    ]
    params = {}
    for r in stored:
        params |= {f"d{r['seq']}": r["details"], f"p{r['seq']}": r["prev_hash"]}
        params[f"h{r['seq']}"] = r["hash"]
    tamper(*statements, "UPDATE audit_head SET hash = :last", params={**params, "last": prev})
    report = sealed.audit.verify(engine)
    assert (report.first_broken, report.kind) == (4, BreakKind.REBUILT)
    assert "rewritten after event #3" in report.findings[0].message


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_appending_after_a_truncation_still_shows_the_gap(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Deleting the tail while the head row still says 10 makes the next event #11: a gap at 8."""
    tamper("DELETE FROM audit_events WHERE seq > 7")
    sealed.one()
    assert _broken(sealed.audit, engine) == (8, BreakKind.DELETED)


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_events_after_the_last_checkpoint_are_an_unsealed_tail(
    sealed: Writer, engine: Engine
) -> None:
    """Events committed without a checkpoint verify, and are reported as the unsealed tail."""
    unsealed = sessionmaker(engine)  # the audit log was not installed on this factory
    with unsealed.begin() as session:
        for _ in range(2):
            sealed.audit.record(session, action=StaffAction.AUTH_LOGIN, actor=ALICE)
    report = sealed.audit.verify(engine)
    assert report.ok
    assert (report.sealed_seq, report.unsealed_tail) == (10, 2)
    assert "2 unsealed" in report.summary()


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_row_outside_the_chain_is_reported(sealed: Writer, engine: Engine, tamper: Tamper) -> None:
    """A row numbered 0 (before the chain starts) is reported as inserted."""
    stored = rows(engine)[0]
    tamper(
        f"INSERT INTO audit_events (seq, {COLUMNS}) SELECT 0, {COLUMNS} FROM audit_events "
        "WHERE seq = 1"
    )
    assert stored["seq"] == 1
    assert _broken(sealed.audit, engine) == (0, BreakKind.INSERTED)


def _fields(row: dict[str, object]) -> dict[str, object]:
    return {field.name: row[field.name] for field in dataclasses.fields(EventFields)}


def test_stored_text_is_what_was_hashed(sealed: Writer, engine: Engine) -> None:
    """Reading a row back through the driver yields exactly the hashed text."""
    with engine.connect() as conn:
        occurred = conn.execute(text("SELECT occurred_at FROM audit_events WHERE seq = 1")).scalar()
    assert occurred == "2026-03-02T09:30:01.000000Z"


@pytest.mark.policy("IS-USE-MONITOR", "DP-SECURE")
def test_deletion_hidden_by_renumbering_is_reported_as_deleted(
    sealed: Writer, engine: Engine, tamper: Tamper
) -> None:
    """Deleting event 5 and renumbering 6-10 down to close the gap is still event 5, deleted."""
    tamper(
        "DELETE FROM audit_events WHERE seq = 5",
        "UPDATE audit_events SET seq = -seq WHERE seq > 5",
        "UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0",
    )
    report = sealed.audit.verify(engine)
    assert (report.first_broken, report.kind) == (5, BreakKind.DELETED)
    assert "renumbered" in report.findings[0].message
