"""Demo data: deterministic, encrypted at rest, and crypto-shreddable one subject at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.customers.models import Customer
from klaremont.demo import service as demo

SMALL = demo.DemoSize(customers=12, seed=7)


def _plaintexts(platform) -> list[str]:
    """Every seeded name, e-mail and phone, decrypted through the platform."""
    values: list[str] = []
    with platform.unit_of_work() as uow:
        for customer in uow.session.scalars(select(Customer)):
            values += [customer.name, customer.email, customer.phone, customer.mobile]
    return [v for v in values if v]


def test_seed_is_deterministic_and_runs_once(platform) -> None:
    """The same seed gives the same shop; a second seed is refused as already present."""
    report = demo.seed(platform, SMALL)
    assert report.seeded
    assert any(line.startswith("12 customers") for line in report.lines)
    again = demo.seed(platform, SMALL)
    assert not again.seeded
    assert demo.is_seeded(platform)


@pytest.mark.policy("DP-SECURE", "IS-SENS-SAFE")
def test_no_seeded_personal_value_is_stored_in_plaintext(platform) -> None:
    """No seeded value appears in any table's text, nor (SQLite) in the raw database files."""
    demo.seed(platform, SMALL)
    values = _plaintexts(platform)
    assert len(values) >= 40
    with platform.engine.connect() as conn:
        dump = []
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                dump.extend(str(v) for v in row)
    haystack = "\n".join(dump)
    assert not [v for v in values if v in haystack]
    if platform.engine.dialect.name == "sqlite":
        platform.dispose()
        database = Path(platform.engine.url.database)
        raw = b"".join(
            p.read_bytes()
            for p in database.parent.iterdir()
            if p.name.startswith(("klaremont.db", "keystore.db"))
        )
        assert not [v for v in values if v.encode() in raw]


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_shredding_one_subject_leaves_the_others_readable(platform) -> None:
    """Once one subject's data key is destroyed its values raise a clear error; others decrypt."""
    demo.seed(platform, SMALL)
    with platform.unit_of_work() as uow:
        customers = list(uow.session.scalars(select(Customer).order_by(Customer.reference)))
        victim, other = customers[0].subject_id, customers[1].subject_id
    platform.keystore.destroy(victim, "erasure")
    with platform.unit_of_work() as uow:
        gone = uow.session.scalars(select(Customer).where(Customer.subject_id == victim)).one()
        kept = uow.session.scalars(select(Customer).where(Customer.subject_id == other)).one()
        assert "@example.com" in (kept.email or "")
        with pytest.raises(SubjectKeyDestroyed, match="crypto-shredded"):
            _ = gone.email
