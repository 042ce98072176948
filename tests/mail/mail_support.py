"""Mail test helpers: the shared real SMTP server (klaremont.testing.smtp) and a subject."""

from __future__ import annotations

import uuid

from klaremont.audit.events import Actor, ActorType
from klaremont.db.subjects import Subject
from klaremont.platform import Platform
from klaremont.testing.smtp import Catcher, body_of, free_port, smtp_server  # noqa: F401 - re-exported for the tests

TEST_ACTOR = Actor(ActorType.SYSTEM, "test")


def make_subject(platform: Platform) -> uuid.UUID:
    """A data subject to address mail to (sealed fields need its data key)."""
    with platform.unit_of_work(actor=TEST_ACTOR) as uow:
        subject = Subject(created_at=uow.clock.now())
        uow.session.add(subject)
        uow.session.flush()
        return subject.id
