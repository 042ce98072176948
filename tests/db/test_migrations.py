"""Migrations: a frozen initial schema, dated revisions in capability folders, several heads,
and a wave-1 database with data upgraded in place."""

from __future__ import annotations

import hashlib
import sys

import pytest
from migration_support import (
    WAVE_1,
    columns_of,
    copy_rows,
    parcel_revision_body,
    parcel_table,
    platform_models,
    repository_heads,
    rows_of,
    table_names,
    write_revision,
)
from sqlalchemy import Column, String, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from typer.testing import CliRunner

from klaremont import capabilities
from klaremont.audit.events import AuditAction
from klaremont.capabilities import Capability
from klaremont.cli import main
from klaremont.cli.context import use_platform
from klaremont.customers.models import Customer
from klaremont.db import migrate
from klaremont.demo import service as demo
from klaremont.platform import Platform

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
    source = (migrate.DATA.versions / name).read_bytes().replace(b"\r\n", b"\n")
    digest = hashlib.sha256(source).hexdigest()
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


@pytest.fixture
def wave_1(platform, empty_database, clock):
    """A data store built by the landed wave-1 revisions (frozen 0001 and 0002) and filled
    with the demo shop: seeded through the platform, then every row of the wave-1 tables
    copied in (only the wave-1 columns), so it keeps working as the schema grows. It
    shares the seeded platform's keystore, keys and audit checkpoints.
    """
    demo.seed(platform, SMALL)
    platform.audit.flush()
    settings = platform.settings.model_copy(update={"database_url": empty_database})
    old = Platform.build(settings, clock=clock)
    migrate.upgrade(old.engine, migrate.DATA, WAVE_1)
    copy_rows(platform.engine, old.engine)
    yield old
    old.dispose()


def test_a_wave_1_database_with_data_upgrades_in_place(
    wave_1, platform, capability_folders, tmp_path
) -> None:
    """A database built and filled at the wave-1 schema takes a capability's dated revision
    (a new table; a new column on a table with data, the table rebuilt as SQLite must for
    most changes): every row survives, personal data still decrypts, the audit chain still
    verifies and stays append-only, and the models agree with the database.
    """
    assert migrate.current_revisions(wave_1.engine) == (WAVE_1,)
    columns = columns_of(wave_1.engine)
    before = rows_of(wave_1.engine, columns)
    emails = _customer_emails(platform)
    audited = wave_1.audit.verify(wave_1.engine)
    assert audited.ok
    assert audited.sealed_seq == audited.last_seq > 12
    assert len(before["customers"]) == 12
    assert before["staff_accounts"]

    folder = tmp_path / "parcels" / "migrations"
    write_revision(
        folder,
        "20261206_1200_parcels",
        repository_heads(),
        parcel_revision_body()
        + """
        rebuild = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
        with op.batch_alter_table("customers", recreate=rebuild) as batch_op:
            batch_op.add_column(sa.Column("test_loyalty_tier", sa.String(length=16)))
        """,
        """
        with op.batch_alter_table("customers") as batch_op:
            batch_op.drop_column("test_loyalty_tier")
        op.drop_table("test_parcels")
        """,
    )
    capability_folders(folder)
    wave_1.upgrade()

    models = platform_models()
    parcel_table(models)
    models.tables["customers"].append_column(Column("test_loyalty_tier", String(16)))
    assert migrate.drift(wave_1.engine, migrate.DATA, models) == []
    assert migrate.current_revisions(wave_1.engine) == ("20261206_1200_parcels",)
    assert rows_of(wave_1.engine, columns) == before
    assert _customer_emails(wave_1) == emails
    with wave_1.engine.begin() as connection:
        connection.execute(text("UPDATE customers SET test_loyalty_tier = 'gold'"))
        customer_id = connection.execute(text("SELECT id FROM customers")).scalars().first()
        connection.execute(
            text("INSERT INTO test_parcels (id, customer_id, label) VALUES (1, :c, 'box')"),
            {"c": customer_id},
        )
    with wave_1.unit_of_work() as uow:
        uow.audit(AuditAction.AUDIT_CHECKPOINT, resource="database:data")
    after = wave_1.audit.verify(wave_1.engine)
    assert after.ok
    assert after.events == audited.events + 1
    with pytest.raises(DBAPIError), wave_1.engine.begin() as connection:
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


def test_a_revision_leaving_rows_referring_to_nothing_is_rolled_back(
    platform, capability_folders, tmp_path
) -> None:
    """Foreign keys still hold across a migration (on SQLite they are checked as a whole
    before the commit): a revision that leaves a dangling reference is refused, nothing of
    it stays, and foreign keys are enforced again afterwards.
    """
    heads = repository_heads()
    folder = tmp_path / "orphans" / "migrations"
    write_revision(
        folder,
        "20261206_1400_orphans",
        heads,
        """
        op.create_table(
            "test_orphans",
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("customer_id", sa.Uuid(), sa.ForeignKey("customers.id"), nullable=False),
        )
        op.execute(
            "INSERT INTO test_orphans (id, customer_id) "
            "VALUES (1, '00000000-0000-0000-0000-0000000000ff')"
        )
        """,
    )
    capability_folders(folder)
    with pytest.raises((migrate.MigrationFailed, IntegrityError)) as refused:
        platform.upgrade()
    if isinstance(refused.value, migrate.MigrationFailed):
        assert "test_orphans: 1 row(s)" in str(refused.value)
    assert migrate.current_revisions(platform.engine) == heads
    assert "test_orphans" not in table_names(platform.engine)
    if platform.engine.dialect.name == "sqlite":
        with platform.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_a_database_at_an_unknown_revision_is_refused_with_a_readable_line(
    platform, monkeypatch, capsys
) -> None:
    """``klaremont db upgrade`` on a database from a newer version (or missing a
    capability's revisions) says so in one line and exits 2; nothing changes.
    """
    with platform.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(
            text("INSERT INTO alembic_version VALUES ('20991231_0000_from_the_future')")
        )
    monkeypatch.setattr(sys, "argv", ["klaremont", "db", "upgrade"])
    use_platform(platform)
    try:
        with pytest.raises(SystemExit) as ended:
            main.main()
    finally:
        use_platform(None)
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "the data migrations cannot be applied" in err
    assert "20991231_0000_from_the_future" in err
    assert "Traceback" not in err
    assert migrate.current_revisions(platform.engine) == ("20991231_0000_from_the_future",)


def test_every_capability_migrations_folder_is_a_version_location(monkeypatch, tmp_path) -> None:
    """Each folder a capability declares (``migrations=...``) that exists is read, in name
    order; a declared folder that is missing or not a folder is not."""
    for folder in ("payments/migrations", "alpha/migrations"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "migrations").write_text("not a folder")
    declared = [
        tmp_path / "payments" / "migrations",
        tmp_path / "notes" / "migrations",
        tmp_path / "loyalty" / "migrations",
        tmp_path / "alpha" / "migrations",
    ]
    monkeypatch.setattr(capabilities, "migration_dirs", lambda: tuple(declared))
    assert migrate.capability_migration_dirs() == [
        tmp_path / "alpha" / "migrations",
        tmp_path / "payments" / "migrations",
    ]
    assert migrate.DATA.version_locations()[1:] == migrate.capability_migration_dirs()
    assert migrate.KEYSTORE.version_locations() == [migrate.KEYSTORE.versions]


def test_the_declaration_names_the_migrations_folder() -> None:
    """``capabilities.migration_dirs`` is built from the declarations, folder by folder."""
    probe = Capability(name="probe", summary="x", migrations="migrations", package="klaremont.mail")
    capabilities.register(probe)
    try:
        assert (
            capabilities.capability("mail").folder / "migrations" in capabilities.migration_dirs()
        )
    finally:
        capabilities.unregister("probe")
    assert capabilities.capability("mail").folder / "migrations" not in (
        capabilities.migration_dirs()
    )


def test_a_fresh_process_sees_every_table_when_generating_a_revision() -> None:
    """The revision generator loads the foundation's tables too: in a process that imported
    nothing else, the models' metadata holds ``platform_meta`` (a revision generated without
    it wrote a drop of that table)."""
    import subprocess  # noqa: PLC0415 - only this test starts a process

    probe = (
        "from klaremont.db import migrate; "
        "names = set(migrate.DATA.metadata().tables); "
        "print('platform_meta' in names, 'staff_accounts' in names)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["True", "True"]


def test_every_revision_id_fits_the_version_column() -> None:
    """Alembic records the applied revision in a VARCHAR(32): a longer id upgrades on SQLite
    and fails on PostgreSQL. Every revision fits, and the generator refuses a slug that
    would not."""
    from datetime import UTC, datetime  # noqa: PLC0415 - this test only

    from klaremont.db import revisions  # noqa: PLC0415 - this test only

    scripts = migrate.script_directory(migrate.DATA)
    too_long = [s.revision for s in scripts.walk_revisions() if len(s.revision) > 32]
    assert too_long == []
    now = datetime(2026, 12, 6, 11, 3, tzinfo=UTC)
    assert len(revisions.names("a" * revisions.SLUG_MAX, now)[0]) == 32
    with pytest.raises(revisions.RevisionRefused, match="at most 18 characters"):
        revisions.names("staff_job_title_and_seniority", now)
