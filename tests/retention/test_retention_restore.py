"""Purges survive a restore: an older backup restored after a run comes back without the
purged rows, and the keys the run destroyed are destroyed again although the keystore came
back with the backup; the audit log verifies (PP-KEEP, IS-SENS-DISPOSE)."""

from __future__ import annotations

import pytest
from retention_support import TEST_ACTOR, YEAR, seed_aged
from sqlalchemy import select

from klaremont.backup import service
from klaremont.customers.models import Address, Invoice, Order, PaymentCard
from klaremont.db.subjects import NOBODY
from klaremont.platform import Platform
from klaremont.retention import engine, ledger


@pytest.mark.policy("PP-KEEP", "IS-SENS-DISPOSE")
def test_an_older_backup_restored_after_a_purge_stays_purged(platform: Platform) -> None:
    gone = seed_aged(platform, "gone", idle=8 * YEAR, order_age=7 * YEAR, invoice_age=7 * YEAR)
    kept = seed_aged(platform, "kept", idle=YEAR, order_age=YEAR, invoice_age=YEAR)
    path, _ = service.create(platform)
    report = engine.run(platform)
    assert report.total_done >= 6
    assert platform.keystore.is_destroyed(gone.subject_id)

    restored = service.restore(platform, path)

    assert restored.reapplied["customers.addresses"] == 1
    assert restored.reapplied[ledger.KEYS] >= 1  # the keystore came back with the key
    assert platform.keystore.is_destroyed(gone.subject_id)
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        assert uow.session.get(Address, gone.rows["addresses"][0]) is None
        assert uow.session.get(PaymentCard, gone.rows["payment_cards"][0]) is None
        assert uow.session.get(Invoice, gone.rows["invoices"][0]) is None
        order = uow.session.get(Order, gone.rows["orders"][0])
        assert order is not None
        assert (order.subject_id, order.customer_id) == (NOBODY, None)
        # the one whose data was not due is untouched
        assert uow.session.get(Address, kept.rows["addresses"][0]) is not None
        still = uow.session.scalars(select(Invoice.id).where(Invoice.subject_id == kept.subject_id))
        assert list(still) == kept.rows["invoices"]
    assert platform.audit.verify(platform.engine).first is None
    # the next run finds nothing the restore brought back
    assert engine.dry_run(platform).total_due == 0
