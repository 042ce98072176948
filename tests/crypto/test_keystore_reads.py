"""The keystore's hot read (``data_key``) on the platform's own keystore database."""

from __future__ import annotations

import uuid

import pytest

from klaremont.crypto.errors import SubjectKeyDestroyed
from klaremont.crypto.keystore import Keystore
from klaremont.db.engine import make_engine


@pytest.mark.policy("IS-SENS-DISPOSE")
def test_a_key_destroyed_elsewhere_is_refused_on_the_next_read(platform) -> None:
    """Keys are never cached across reads: a shred by another process wins at once."""
    keystore = platform.keystore
    subject = uuid.uuid4()
    made = keystore.create_subject_key(subject)
    assert keystore.data_key(subject).version == made
    elsewhere = make_engine(platform.settings.keystore_url)
    try:
        Keystore(elsewhere, keystore.keyring, platform.clock).destroy(subject, "test erasure")
    finally:
        elsewhere.dispose()
    with pytest.raises(SubjectKeyDestroyed):
        keystore.data_key(subject)


def test_pooled_connections_go_back_in_transaction_mode(platform) -> None:
    """The read's autocommit is switched off again before the connection is reused."""
    keystore = platform.keystore
    subject = uuid.uuid4()
    keystore.create_subject_key(subject)
    for _ in range(3):
        keystore.data_key(subject)
    pooled = keystore.engine.raw_connection()
    try:
        driver = pooled.driver_connection
        if platform.keystore_engine.dialect.name == "sqlite":
            assert driver.isolation_level is None  # SQLAlchemy's begin event owns transactions
        else:
            assert driver.autocommit is False
    finally:
        pooled.close()
