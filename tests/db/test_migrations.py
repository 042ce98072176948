"""Migrations: a frozen initial schema, dated revisions in capability folders, several heads,
and a wave-1 database with data upgraded in place."""

from __future__ import annotations

import hashlib

import pytest
from migration_support import (
    WAVE_1,
    columns_of,
    parcel_revision_body,
    parcel_table,
    platform_models,
    repository_heads,
    rows_of,
    table_names,
    write_revision,
)
from sqlalchemy import Column, String, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from klaremont.audit.events import AuditAction
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer
from klaremont.db import migrate
from klaremont.demo import service as demo

# Recorded when the initial revisions were frozen. They are never regenerated or edited:
# every schema change is a new dated revision (scripts/new-migration).
FROZEN = {
    "0001_initial.py": "c05488b4db7063df0128d16149c0016e764970874394ab5a7897d59b7703c4d1",
    "0002_audit_append_only.py": "105ea6b3d8b945c51d1676778596ead6e1bdbd26413cfc55cea00d2dcdb040d9",
}
SMALL = demo.DemoSize(customers=12, seed=7)


@pytest.mark.parametrize("name", sorted(FROZEN))
def test_initial_revisions_are_frozen(name: str) -> None:
    """Regenerating or editing a landed revision fails: existing databases depend on it."""
    digest = hashlib.sha256((migrate.DATA.versions / name).read_bytes()).hexdigest()
    assert digest == FROZEN[name], f"{name} changed; add a new dated revision instead"


def test_drift_check_catches_a_model_changed_without_a_revision(platform) -> None:
    """A column added to a model but not to a revision is reported, naming the column."""
    platform.upgrade()
    assert migrate.drift(platform.engine, migrate.DATA) == []
    changed = platform_models()
    changed.tables["customers"].append_column(Column("test_loyalty_tier", String(16)))
    problems = migrate.drift(platform.engine, migrate.DATA, changed)
    assert [p[0] for p in problems] == ["add_column"]
    assert problems[0][3].name == "test_loyalty_tier"


def _customer_emails(platform) -> list[str]:
    with platform.unit_of_work() as uow:
        return sorted(c.email for c in uow.session.scalars(select(Customer)))


def test_a_wave_1_database_with_data_upgrades_in_place(
    empty_platform, capability_folders, tmp_path
) -> None:
    """A database built and filled at the wave-1 schema takes a capability's dated revision
    (a new table, a new column on a table with data): every row survives, personal data
    still decrypts, the audit chain still verifies and stays append-only, no drift.
    """
    platform = empty_platform
    migrate.upgrade(platform.keystore_engine, migrate.KEYSTORE)
    migrate.upgrade(platform.engine, migrate.DATA, WAVE_1)
    assert migrate.current_revisions(platform.engine) == (WAVE_1,)
    demo.seed(platform, SMALL)
    columns = columns_of(platform.engine)
    before = rows_of(platform.engine, columns)
    emails = _customer_emails(platform)
    audited = platform.audit.verify(platform.engine)
    assert audited.ok
    assert len(before["customers"]) == 12
    assert before["staff_accounts"]
    assert audited.events > 12

    folder = tmp_path / "parcels" / "migrations"
    write_revision(
        folder,
        "20261206_1200_parcels",
        repository_heads(),
        parcel_revision_body()
        + """
        with op.batch_alter_table("customers") as batch_op:
            batch_op.add_column(sa.Column("test_loyalty_tier", sa.String(length=16)))
        """,
        """
        with op.batch_alter_table("customers") as batch_op:
            batch_op.drop_column("test_loyalty_tier")
        op.drop_table("test_parcels")
        """,
    )
    capability_folders(folder)
    platform.upgrade()

    models = platform_models()
    parcel_table(models)
    models.tables["customers"].append_column(Column("test_loyalty_tier", String(16)))
    assert migrate.drift(platform.engine, migrate.DATA, models) == []
    assert migrate.current_revisions(platform.engine) == ("20261206_1200_parcels",)
    assert rows_of(platform.engine, columns) == before
    assert _customer_emails(platform) == emails
    with platform.engine.begin() as connection:
        connection.execute(text("UPDATE customers SET test_loyalty_tier = 'gold'"))
        customer_id = connection.execute(text("SELECT id FROM customers")).scalars().first()
        connection.execute(
            text("INSERT INTO test_parcels (id, customer_id, label) VALUES (1, :c, 'box')"),
            {"c": customer_id},
        )
    with platform.unit_of_work() as uow:
        uow.audit(AuditAction.AUDIT_CHECKPOINT, resource="database:data")
    after = platform.audit.verify(platform.engine)
    assert after.ok
    assert after.events == audited.events + 1
    with pytest.raises(DBAPIError), platform.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET actor_id = 'someone else'"))


def test_two_capabilities_revising_the_same_parent_are_both_applied(
    platform, capability_folders, tmp_path
) -> None:
    """Two capabilities each add a revision on the same parent: two heads, both applied by
    ``klaremont db upgrade``, and the models of both agree with the database.
    """
    parent = repository_heads()
    alpha = tmp_path / "alpha" / "migrations"
    beta = tmp_path / "beta" / "migrations"
    write_revision(alpha, "20261206_1300_alpha", parent, parcel_revision_body("test_alpha"))
    write_revision(beta, "20261206_1300_beta", parent, parcel_revision_body("test_beta"))
    capability_folders(alpha, beta)
    assert sorted(migrate.script_directory(migrate.DATA).get_heads()) == [
        "20261206_1300_alpha",
        "20261206_1300_beta",
    ]

    use_platform(platform)
    try:
        result = CliRunner().invoke(main.app, ["db", "upgrade"])
        again = CliRunner().invoke(main.app, ["db", "upgrade"])
    finally:
        use_platform(None)
    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output

    assert migrate.current_revisions(platform.engine) == (
        "20261206_1300_alpha",
        "20261206_1300_beta",
    )
    assert {"test_alpha", "test_beta"} <= table_names(platform.engine)
    models = platform_models()
    parcel_table(models, "test_alpha")
    parcel_table(models, "test_beta")
    assert migrate.drift(platform.engine, migrate.DATA, models) == []
